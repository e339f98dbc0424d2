import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, call, onSessionEnded, setBearer, type AuthConfig } from './api/client';
import { endOidcSession, refreshOidc, type OidcTokens } from './oidc';

export interface Session {
  token: string;
  email: string;
  role: string;
  expiresAt: number;
  /** `dev`: the development sign-in; `oidc`: the identity provider's tokens. */
  kind: 'dev' | 'oidc';
}

interface AuthState {
  config: AuthConfig | null;
  session: Session | null;
  /** Why the last session ended, shown on the sign-in page. */
  endedBecause: string | null;
  signIn(session: Session, oidc?: Pick<OidcTokens, 'refreshToken' | 'idToken'>): void;
  signOut(reason?: string): void;
}

const AuthContext = createContext<AuthState | null>(null);

// The development session survives the trip to Checkout and back within this tab. OIDC tokens stay in
// memory only: after a full page load the identity provider's own session signs the person in again.
const DEV_STORE = 'billing.dev-session';
/** Set while an OIDC session is open in this tab, so a page load (back from Checkout) resumes it. */
export const OIDC_ACTIVE = 'billing.oidc-active';

function restore(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(DEV_STORE) ?? 'null') as Session | null;
    return s && s.expiresAt > Date.now() + 60_000 ? { ...s, kind: 'dev' } : null;
  } catch {
    return null;
  }
}

// What renews and ends an OIDC session; module state, like the bearer token, never persisted.
let refreshToken: string | null = null;
let idToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

export function AuthProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [session, setSession] = useState<Session | null>(() => {
    const s = restore();
    setBearer(s?.token ?? null);
    return s;
  });
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  useEffect(() => {
    call(api.GET('/api/v1/auth/config')).then(setConfig, () =>
      setConfig({ mode: 'oidc', dev_sign_in: false, issuer: null, client_id: null }),
    );
  }, []);

  const clear = useCallback((reason?: string) => {
    clearTimeout(refreshTimer);
    setBearer(null);
    sessionStorage.removeItem(DEV_STORE);
    refreshToken = null;
    setEndedBecause(reason ?? null);
    setSession(null);
  }, []);

  const signIn = useCallback(
    (s: Session, oidc?: Pick<OidcTokens, 'refreshToken' | 'idToken'>) => {
      setBearer(s.token);
      setEndedBecause(null);
      setSession(s);
      clearTimeout(refreshTimer);
      if (s.kind === 'dev') {
        sessionStorage.setItem(DEV_STORE, JSON.stringify(s));
        return;
      }
      sessionStorage.setItem(OIDC_ACTIVE, '1');
      refreshToken = oidc?.refreshToken ?? refreshToken;
      idToken = oidc?.idToken ?? idToken;
      // Renewed silently at four fifths of its life, while the refresh token is good.
      const renewIn = Math.max(5_000, (s.expiresAt - Date.now()) * 0.8);
      refreshTimer = setTimeout(() => {
        if (!config || !refreshToken) return;
        refreshOidc(config, refreshToken).then(
          (t) => signIn(t.session, t),
          () => clear('Your session has ended. Please sign in again.'),
        );
      }, renewIn);
    },
    [config, clear],
  );

  const signOut = useCallback(
    (reason?: string) => {
      const wasOidc = session?.kind === 'oidc';
      const hint = idToken;
      clear(reason);
      if (wasOidc) {
        sessionStorage.removeItem(OIDC_ACTIVE);
        idToken = null;
        // Ends the identity provider's session too, then comes back to the plans.
        if (config && !reason) void endOidcSession(config, hint);
      }
    },
    [session, config, clear],
  );

  useEffect(() => onSessionEnded(() => signOut('Your session has ended. Please sign in again.')), [signOut]);

  const value = useMemo(
    () => ({ config, session, endedBecause, signIn, signOut }),
    [config, session, endedBecause, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}
