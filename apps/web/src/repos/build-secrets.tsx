import type { Repo } from '@archway/contract';
import { useState, type FormEvent } from 'react';
import { useRepoUpdate } from './use-repo-update.ts';

/**
 * Build secrets for `RUN --mount=type=secret,id=<id>`: the API returns only their ids, so this
 * lists ids, adds or replaces one (id + value), and removes one. Values are never shown.
 */
export function BuildSecrets({ repo, onSaved }: { repo: Repo; onSaved(repo: Repo): void }) {
  const [id, setId] = useState('');
  const [value, setValue] = useState('');
  const { busy, message, save: update } = useRepoUpdate(repo, onSaved);
  const save = (secrets: Record<string, string | null>, done: string) =>
    update({ secrets }, done, () => {
      setId('');
      setValue('');
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (id.trim() && value) void save({ [id.trim()]: value }, `Secret ${id.trim()} saved.`);
  };

  return (
    <section className="card build-secrets" aria-labelledby="secrets-title">
      <h2 id="secrets-title">Build secrets</h2>
      <p className="muted small">
        Mounted only into <code>RUN --mount=type=secret,id=&lt;id&gt;</code> steps at <code>/run/secrets/&lt;id&gt;</code>; stored encrypted, never shown
        {repo.pullRequestSecrets ? '; pull request builds get them too.' : '; pull request builds run without them.'}
      </p>
      {repo.secrets.length === 0 ? (
        <p className="muted">No build secrets.</p>
      ) : (
        <ul className="secret-list" aria-label="Secret ids">
          {repo.secrets.map((s) => (
            <li key={s}>
              <code>{s}</code>{' '}
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() => void save({ [s]: null }, `Secret ${s} removed.`)}
                aria-label={`Remove secret ${s}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={submit} aria-label="Add or replace a build secret">
        <div className="field">
          <label htmlFor="bs-id">Secret id</label>
          <input id="bs-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="npm_token" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="bs-value">Value</label>
          <input id="bs-value" type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        </div>
        <button type="submit" disabled={busy || !id.trim() || !value}>
          {repo.secrets.includes(id.trim()) ? 'Replace secret' : 'Add secret'}
        </button>
      </form>
      {message && (
        <p className={message.error ? 'error' : 'muted small'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
