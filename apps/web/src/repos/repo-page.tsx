import type { Repo } from '@archway/contract';
import { useEffect, useState } from 'react';
import { deleteRepo } from '../api/endpoints.ts';
import { Link, useRouter } from '../router/router.tsx';
import { BuildRefForm } from './build-ref-form.tsx';
import { BuildSecrets } from './build-secrets.tsx';
import { Deliveries } from './deliveries.tsx';
import { ForgeToken } from './forge-token.tsx';
import { Notifications } from './notifications.tsx';
import { forgetSecret, peekSecret } from './one-time-secret.ts';
import { RepoBuilds } from './repo-builds.tsx';
import { RepoSettings } from './repo-settings.tsx';
import { Schedules } from './schedules.tsx';
import { useRepo } from './use-repo.ts';
import { WebhookSetup } from './webhook-setup.tsx';

const PROVIDERS: Record<string, string> = { github: 'GitHub', forgejo: 'Forgejo', gitea: 'Gitea', gitlab: 'GitLab' };

export function RepoPage({ id }: { id: string }) {
  const { repo, error, replace } = useRepo(id);
  // The secret of a repository registered a moment ago: kept in this page's state only.
  const [secret, setSecret] = useState(() => peekSecret(id));
  useEffect(() => forgetSecret(id), [id]);

  if (error && !repo) {
    return (
      <main id="main" className="page">
        <p className="error" role="alert">
          {error.status === 404 ? 'There is no repository with this id.' : `Could not load the repository: ${error.message}`}
        </p>
        <Link href="/repos">Back to repositories</Link>
      </main>
    );
  }
  if (!repo) {
    return (
      <main id="main" className="page">
        <p className="muted">Loading repository…</p>
      </main>
    );
  }
  return (
    <main id="main" className="page repo-page">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/repos">Repositories</Link> <span aria-hidden="true">/</span> <span>{repo.fullName}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1>{repo.fullName}</h1>
          <p className="build-meta">
            <span>{PROVIDERS[repo.provider] ?? repo.provider}</span>
            <span>
              {' '}
              ·{' '}
              {repo.image ? (
                <>
                  pushes to <code>{repo.image}</code>
                </>
              ) : (
                'pushes nothing (no image)'
              )}
            </span>
            <span> · {repo.platforms.join(', ')}</span>
          </p>
        </div>
        <BuildRefForm repo={repo} />
      </div>
      <WebhookSetup repo={repo} secret={secret} onSecret={setSecret} />
      <RepoBuilds repo={repo} />
      <RepoSettings repo={repo} onSaved={replace} />
      <ForgeToken repo={repo} onSaved={replace} />
      <BuildSecrets repo={repo} onSaved={replace} />
      <Schedules repo={repo} />
      <Notifications repo={repo} />
      <Deliveries repoId={repo.id} />
      <DeleteRepo repo={repo} />
    </main>
  );
}

function DeleteRepo({ repo }: { repo: Repo }) {
  const { navigate } = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await deleteRepo(repo.id);
      navigate('/repos');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section className="danger-zone" aria-label="Delete repository">
      {confirming ? (
        <p>
          Delete {repo.fullName}? Webhooks from the forge will be refused; its builds stay.{' '}
          <button type="button" className="danger" onClick={() => void remove()}>
            Delete
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </p>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete repository…
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
