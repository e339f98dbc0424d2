import { useState, type FormEvent } from 'react';
import { api, type ApiError, call, type KeyTest, type Provider, type ProviderKey } from '../api/client';
import { Empty, ErrorNotice, Loaded, Notice, Page } from '../components';
import { useLoad } from '../data';
import { date, dateTime } from '../format';

const VERDICT: Record<string, string> = {
  valid: 'Valid',
  invalid_key: 'Refused by the provider',
  rate_limited: 'Rate limited',
  provider_unreachable: 'Provider unreachable',
  provider_error: 'Provider error',
};

async function loadKeys() {
  const [providers, keys] = await Promise.all([
    call(api.GET('/api/v1/byok/providers')),
    call(api.GET('/api/v1/byok/keys')),
  ]);
  return { providers, keys };
}

function AddKey({ providers, onAdded }: { providers: Provider[]; onAdded(): void }) {
  const [provider, setProvider] = useState<Provider['id']>(providers[0]?.id ?? 'openai');
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const chosen = providers.find((p) => p.id === provider);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(
        api.POST('/api/v1/byok/keys/add', { body: { provider, api_key: key, ...(label ? { label } : {}) } }),
      );
      setKey('');
      setLabel('');
      onAdded();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="add-key-heading">
      <h2 id="add-key-heading">Add a key</h2>
      <label htmlFor="provider">Provider</label>
      <select id="provider" value={provider} onChange={(e) => setProvider(e.target.value as Provider['id'])}>
        {providers.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
            {p.configured ? ' (replaces your key)' : ''}
          </option>
        ))}
      </select>
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        value={key}
        onChange={(e) => setKey(e.target.value)}
        aria-describedby="key-format"
      />
      <p id="key-format" className="small muted">
        Format: <code>{chosen?.key_format ?? '—'}</code>{' '}
        {chosen?.docs_url && <a href={chosen.docs_url}>Where to find it</a>} The key is stored encrypted and
        never shown again.
      </p>
      <label htmlFor="key-label">Label (optional)</label>
      <input id="key-label" value={label} maxLength={100} onChange={(e) => setLabel(e.target.value)} />
      {error && <ErrorNotice error={error} />}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save key'}
      </button>
    </form>
  );
}

function KeyRow({ k, onChanged }: { k: ProviderKey; onChanged(): void }) {
  const [busy, setBusy] = useState<'test' | 'delete' | null>(null);
  const [result, setResult] = useState<KeyTest | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [confirming, setConfirming] = useState(false);
  const test = async () => {
    setBusy('test');
    setError(null);
    try {
      setResult(
        await call(
          api.POST('/api/v1/byok/keys/test/{provider}', { params: { path: { provider: k.provider } } }),
        ),
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const remove = async () => {
    setBusy('delete');
    setError(null);
    try {
      await call(api.DELETE('/api/v1/byok/keys/{provider}', { params: { path: { provider: k.provider } } }));
      onChanged();
    } catch (err) {
      setError(err as ApiError);
      setBusy(null);
    }
  };
  const verdict = result?.result ?? k.last_test_result;
  return (
    <li className="card">
      <h3>{k.provider_name}</h3>
      <p>
        <code>{k.key_hint}</code> · added {date(k.created_at)}
      </p>
      <p className="muted">
        {verdict ? (
          <>
            Last test:{' '}
            <span className={`badge ${verdict === 'valid' ? 'good' : 'bad'}`}>
              {VERDICT[verdict] ?? verdict}
            </span>{' '}
            {dateTime(result?.tested_at ?? k.last_tested_at)}
          </>
        ) : (
          'Not tested yet'
        )}
      </p>
      <div aria-live="polite">{result && <p className="small">{result.message}</p>}</div>
      {error && <ErrorNotice error={error} />}
      <p className="actions">
        <button type="button" className="secondary" onClick={() => void test()} disabled={busy !== null}>
          {busy === 'test' ? 'Testing…' : 'Test key'}
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger" onClick={() => void remove()} disabled={busy !== null}>
              {busy === 'delete' ? 'Deleting…' : `Delete the ${k.provider_name} key`}
            </button>
            <button type="button" className="link" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="secondary" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </p>
    </li>
  );
}

/** The customer's own LLM provider keys (BYOK): hints only, never the key. */
export function ProviderKeys() {
  const d = useLoad(loadKeys, 'keys');
  return (
    <Page title="Provider keys" wide>
      <p className="lead">Bring your own keys: usage on your own provider keys is not billed as credits.</p>
      {d.error?.status === 403 ? (
        <Notice kind="info">
          <p>Your plan does not include your own provider keys. {d.error.message}</p>
        </Notice>
      ) : (
        <Loaded state={d} what="your keys">
          {(data) => (
            <div className="grid">
              <section aria-labelledby="keys-heading">
                <h2 id="keys-heading">Your keys</h2>
                {data.keys.length === 0 ? (
                  <Empty>No keys yet.</Empty>
                ) : (
                  <ul className="cards-list">
                    {data.keys.map((k) => (
                      <KeyRow key={k.provider} k={k} onChanged={d.reload} />
                    ))}
                  </ul>
                )}
              </section>
              <AddKey providers={data.providers} onAdded={d.reload} />
            </div>
          )}
        </Loaded>
      )}
    </Page>
  );
}
