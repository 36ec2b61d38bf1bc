import { useState, type FormEvent } from 'react';
import { useSession } from './session.tsx';

export function SignInPage({ reason }: { reason?: string }) {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} className="card sign-in-card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Archway</h1>
        {reason && <p className="notice">{reason}</p>}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          // biome-ignore lint/a11y/noAutofocus: the page's only field; signing in is all it is for
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'sign-in-error' : 'token-help'}
        />
        <p id="token-help" className="muted small">
          An API token issued by your Archway administrator, or the admin token from the server configuration.
        </p>
        {error && (
          <p id="sign-in-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
