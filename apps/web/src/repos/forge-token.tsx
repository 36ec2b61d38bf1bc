import type { Repo } from '@archway/contract';
import { useState, type FormEvent } from 'react';
import { useRepoUpdate } from './use-repo-update.ts';

/** Sets or removes the forge token for commit statuses. The API never returns it; neither do we. */
export function ForgeToken({ repo, onSaved }: { repo: Repo; onSaved(repo: Repo): void }) {
  const [token, setToken] = useState('');
  const { busy, message, save: update } = useRepoUpdate(repo, onSaved);
  const save = (value: string | null) => update({ forgeToken: value }, value === null ? 'Token removed.' : 'Token saved.', () => setToken(''));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) void save(token.trim());
  };

  return (
    <section className="card forge-token" aria-labelledby="token-title">
      <h2 id="token-title">Forge token</h2>
      <p data-testid="forge-token-state">
        {repo.hasForgeToken
          ? 'A token is set: Archway reports commit statuses with it. It is stored encrypted and never shown.'
          : 'No token: builds run, but the forge shows no commit status.'}
      </p>
      <form className="inline-form" onSubmit={submit} aria-label="Set forge token">
        <div className="field">
          <label htmlFor="ft-token">{repo.hasForgeToken ? 'Replace with a new token' : 'Token'}</label>
          <input id="ft-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        </div>
        <button type="submit" disabled={busy || !token.trim()}>
          Save token
        </button>
        {repo.hasForgeToken && (
          <button type="button" className="danger" disabled={busy} onClick={() => void save(null)}>
            Remove token
          </button>
        )}
      </form>
      {message && (
        <p className={message.error ? 'error' : 'muted small'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
