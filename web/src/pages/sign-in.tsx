import { useState, type FormEvent } from 'react';
import { api, ApiError, call } from '../api/client';
import { useAuth } from '../auth';
import { ErrorNotice, Loading, Notice, Page } from '../components';
import { navigate, useLocation } from '../router';
import { startOidcSignIn } from '../oidc';

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
      signIn({ token: t.access_token, email: t.email, role: t.role, expiresAt: Date.parse(t.expires_at) });
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
          <button
            type="button"
            onClick={() =>
              startOidcSignIn(config, next).catch((err: unknown) =>
                setError(err instanceof ApiError ? err : new ApiError(0, 'oidc_error', String(err))),
              )
            }
          >
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
