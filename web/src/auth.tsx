import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, call, onSessionEnded, setBearer, type AuthConfig } from './api/client';

export interface Session {
  token: string;
  email: string;
  role: string;
  expiresAt: number;
}

interface AuthState {
  config: AuthConfig | null;
  session: Session | null;
  /** Why the last session ended, shown on the sign-in page. */
  endedBecause: string | null;
  signIn(session: Session): void;
  signOut(reason?: string): void;
}

const AuthContext = createContext<AuthState | null>(null);

// The development session survives the trip to Checkout and back within this tab only; an OIDC session is
// restored from the identity provider instead.
const STORE = 'billing.dev-session';

function restore(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) ?? 'null') as Session | null;
    return s && s.expiresAt > Date.now() + 60_000 ? s : null;
  } catch {
    return null;
  }
}

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

  const signIn = useCallback((s: Session) => {
    setBearer(s.token);
    sessionStorage.setItem(STORE, JSON.stringify(s));
    setEndedBecause(null);
    setSession(s);
  }, []);

  const signOut = useCallback((reason?: string) => {
    setBearer(null);
    sessionStorage.removeItem(STORE);
    setEndedBecause(reason ?? null);
    setSession(null);
  }, []);

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
