import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiRequestError, onUnauthorized, setCsrfToken } from '../api/client.ts';
import { getSession, signIn as apiSignIn, signOut as apiSignOut } from '../api/endpoints.ts';
import type { SessionInfo } from '../api/types.ts';

type State = { status: 'loading' } | { status: 'signed-out'; reason?: string } | { status: 'signed-in'; session: SessionInfo };
interface SessionApi {
  state: State;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

/** The session lives in an httpOnly cookie; the SPA only learns who it is and the CSRF token. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const accept = useCallback((session: SessionInfo) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  }, []);

  useEffect(() => {
    getSession().then(
      (s) => (s.signedIn ? accept(s) : setState({ status: 'signed-out' })),
      (err: unknown) => {
        setState({ status: 'signed-out', reason: err instanceof ApiRequestError && err.status !== 401 ? err.message : undefined });
      },
    );
    return onUnauthorized(() => {
      setCsrfToken(null);
      setState({ status: 'signed-out', reason: 'Your session has ended. Sign in again.' });
    });
  }, [accept]);

  const signIn = useCallback(async (token: string) => accept(await apiSignIn(token)), [accept]);
  const signOut = useCallback(async () => {
    try {
      await apiSignOut();
    } finally {
      setCsrfToken(null);
      setState({ status: 'signed-out' });
    }
  }, []);

  return <SessionContext.Provider value={{ state, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
