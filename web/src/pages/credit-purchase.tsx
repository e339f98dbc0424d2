import { useState, type FormEvent } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Empty, ErrorNotice, Notice, Table } from '../components';
import { useLoad } from '../data';
import { count, money } from '../format';

type Pack = Awaited<ReturnType<typeof loadPacks>>['packs'][number];
type AutoTopUp = { enabled: boolean; threshold: number | null; pack_id: string | null; note: string | null };

const loadPacks = () => call(api.GET('/api/v1/plans/credit-packs'));

const lasts = (p: Pack) => (p.expires_after_days ? `${p.expires_after_days} days` : 'Never expire');

/**
 * The packs on sale with a Buy button each: the customer pays on Stripe's Checkout page and comes back
 * here, where the credits appear once Stripe has told the engine the payment succeeded.
 */
export function BuyCredits() {
  const packs = useLoad(loadPacks, 'credit-packs');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const buy = async (packId: string) => {
    setBusy(packId);
    setError(null);
    try {
      const s = await call(api.POST('/api/v1/billing/credits/purchase', { body: { pack_id: packId } }));
      location.assign(s.checkout_url);
    } catch (err) {
      setError(err as ApiError);
      setBusy(null);
    }
  };
  const list = packs.data?.packs ?? [];
  return (
    <>
      {error && <ErrorNotice error={error} />}
      {packs.error && <ErrorNotice error={packs.error} />}
      {list.length === 0 ? (
        <Empty>{packs.loading ? 'Loading the packs…' : 'No credit packs are on sale.'}</Empty>
      ) : (
        <Table
          label="Credit packs"
          columns={[
            'Pack',
            { label: 'Credits', num: true },
            { label: 'Price', num: true },
            'Credits last',
            '',
          ]}
        >
          {list.map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td className="num">{count(p.credits)}</td>
              <td className="num">{money(p.price_cents, p.currency)}</td>
              <td>{lasts(p)}</td>
              <td>
                <button type="button" disabled={busy !== null} onClick={() => void buy(p.id)}>
                  {busy === p.id ? 'Opening Checkout…' : `Buy ${count(p.credits)} credits`}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

/**
 * Automatic top-up: below a threshold, the card on file buys the chosen pack, once per fall below it. A
 * note from the engine (a declined card turned it off) is shown until the customer saves again.
 */
export function AutoTopUpForm({ current, onSaved }: { current: AutoTopUp; onSaved(): void }) {
  const packs = useLoad(loadPacks, 'credit-packs');
  const [enabled, setEnabled] = useState(current.enabled);
  const [threshold, setThreshold] = useState(current.threshold === null ? '' : String(current.threshold));
  const [packId, setPackId] = useState(current.pack_id ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await call(
        api.PUT('/api/v1/billing/credits/auto-top-up', {
          body: {
            enabled,
            threshold: threshold.trim() === '' ? null : Number(threshold),
            pack_id: packId || null,
          },
        }),
      );
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Automatic top-up">
      {error && <ErrorNotice error={error} />}
      {saved && <Notice kind="success">Automatic top-up saved.</Notice>}
      <label>
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Top up
        automatically with the card on file
      </label>
      <label htmlFor="top-up-threshold">When my balance falls below (credits)</label>
      <input
        id="top-up-threshold"
        inputMode="numeric"
        value={threshold}
        onChange={(e) => setThreshold(e.target.value)}
      />
      <label htmlFor="top-up-pack">Buy</label>
      <select id="top-up-pack" value={packId} onChange={(e) => setPackId(e.target.value)}>
        <option value="">Choose a pack</option>
        {(packs.data?.packs ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}: {count(p.credits)} credits for {money(p.price_cents, p.currency)}
          </option>
        ))}
      </select>
      <button type="submit" disabled={busy}>
        Save automatic top-up
      </button>
    </form>
  );
}
