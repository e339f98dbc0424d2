import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, call } from '../api/client';
import { OIDC_ACTIVE, useAuth } from '../auth';
import { ErrorNotice, Loading, Notice, Page } from '../components';
import { Link, navigate, useLocation } from '../router';
import { finishOidcSignIn, startOidcSignIn } from '../oidc';

/** Only paths of this app: a `next` that leads elsewhere is ignored. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/billing';
}

function DevSignIn({ next }: { next: string }) {
  const { signIn } = useAuth();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'viewer' | 'editor' | 'admin'>('viewer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const t = await call(api.POST('/api/v1/auth/dev-token', { body: { email, role } }));
      signIn({
        token: t.access_token,
        email: t.email,
        role: t.role,
        expiresAt: Date.parse(t.expires_at),
        kind: 'dev',
      });
      navigate(next, { replace: true });
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <>
      <Notice kind="info">
        <p>
          <strong>Development sign-in.</strong> No password: this engine signs a token for any email with its
          local development key. It is off in production and whenever an identity provider is configured.
        </p>
      </Notice>
      <form className="form" onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="role">Role</label>
        <select id="role" value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
          <option value="viewer">Customer (viewer)</option>
          <option value="editor">Editor</option>
          <option value="admin">Admin</option>
        </select>
        {error && <ErrorNotice error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </>
  );
}

export function SignIn() {
  const { config, session, endedBecause } = useAuth();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const [error, setError] = useState<ApiError | null>(null);
  const resumed = useRef(false);
  const oidc = Boolean(config && !config.dev_sign_in && config.issuer && config.client_id);
  const continueToIdp = () => {
    if (!config) return;
    startOidcSignIn(config, next).catch((err: unknown) =>
      setError(err instanceof ApiError ? err : new ApiError(0, 'oidc_error', String(err))),
    );
  };
  // Back from Checkout or a reload with an OIDC session open in this tab: the identity provider's own
  // session signs the person in again without a click.
  useEffect(() => {
    if (!oidc || session || endedBecause || resumed.current) return;
    if (sessionStorage.getItem(OIDC_ACTIVE) !== '1') return;
    resumed.current = true;
    continueToIdp();
  });
  return (
    <Page title="Sign in">
      {endedBecause && <Notice kind="warning">{endedBecause}</Notice>}
      {session && (
        <Notice kind="info">
          <p>You are signed in as {session.email}.</p>
        </Notice>
      )}
      {!config ? (
        <Loading what="sign-in options" />
      ) : config.dev_sign_in ? (
        <DevSignIn next={next} />
      ) : config.issuer && config.client_id ? (
        <>
          <p>You sign in with your organisation&rsquo;s account.</p>
          {error && <ErrorNotice error={error} />}
          <button type="button" onClick={continueToIdp}>
            Continue to sign-in
          </button>
        </>
      ) : (
        <Notice kind="warning">
          <p>
            Sign-in is not set up: the engine names no public client for this app (OIDC_WEB_CLIENT_ID). Ask
            your administrator.
          </p>
        </Notice>
      )}
    </Page>
  );
}

/** Where the identity provider sends the person back: trades the code for tokens, then goes on. */
export function OidcCallback() {
  const { config, signIn } = useAuth();
  const { query } = useLocation();
  const [error, setError] = useState<ApiError | null>(null);
  const done = useRef(false);
  useEffect(() => {
    if (!config || done.current) return;
    done.current = true;
    finishOidcSignIn(config, query).then(
      (t) => {
        signIn(t.session, t);
        navigate(safeNext(t.next), { replace: true });
      },
      (err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, 'oidc_error', String(err))),
    );
  }, [config, query, signIn]);
  return (
    <Page title="Signing in">
      {error ? (
        <>
          <ErrorNotice error={error} />
          <p>
            <Link className="button" href="/signin">
              Sign in again
            </Link>
          </p>
        </>
      ) : (
        <Loading what="your account" />
      )}
    </Page>
  );
}
