import { useState } from 'react';
import { Link } from '../router/router.tsx';
import { RegisterRepoForm } from './register-repo-form.tsx';
import { useRepos } from './use-repos.ts';

const PROVIDERS: Record<string, string> = { github: 'GitHub', forgejo: 'Forgejo', gitea: 'Gitea' };

export function ReposPage() {
  const { repos, error } = useRepos();
  const [showNew, setShowNew] = useState(false);
  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Repositories</h1>
        <button type="button" className="primary" aria-expanded={showNew} aria-controls="register-repo" onClick={() => setShowNew((s) => !s)}>
          Register repository
        </button>
      </div>
      {showNew && <RegisterRepoForm id="register-repo" onCancel={() => setShowNew(false)} />}
      {error && (
        <p className="error" role="alert">
          Could not load repositories: {error}
        </p>
      )}
      {repos === null && !error && <p className="muted">Loading repositories…</p>}
      {repos?.length === 0 && <p className="muted">No repository is registered yet. Register one to build on every push and pull request.</p>}
      {repos && repos.length > 0 && (
        <table className="repos-table">
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Forge</th>
              <th scope="col">Image</th>
              <th scope="col">Platforms</th>
              <th scope="col">Commit statuses</th>
            </tr>
          </thead>
          <tbody>
            {repos.map((r) => (
              <tr key={r.id} className="repo-row">
                <td data-label="Repository">
                  <Link href={`/repos/${r.id}`}>
                    <strong>{r.fullName}</strong>
                  </Link>
                  <div className="small muted">
                    default branch <code>{r.defaultBranch}</code>
                  </div>
                </td>
                <td data-label="Forge">{PROVIDERS[r.provider] ?? r.provider}</td>
                <td data-label="Image">{r.image ? <code>{r.image}</code> : <span className="muted">not pushed</span>}</td>
                <td data-label="Platforms">{r.platforms.join(', ')}</td>
                <td data-label="Commit statuses">{r.hasForgeToken ? 'reported' : <span className="muted">no token</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
