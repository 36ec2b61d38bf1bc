import { isFinalBuildStatus, type Build } from '@archway/contract';
import { useState } from 'react';
import { Link, useRouter } from '../router/router.tsx';
import { Timeline } from '../timeline/timeline.tsx';
import { elapsed, formatDuration, formatTime, repoName } from '../ui/format.ts';
import { StatusBadge } from '../ui/status-badge.tsx';
import { useNow } from '../ui/use-now.ts';
import { refLabel } from '../builds/build-row.tsx';
import { AttemptHistory } from './attempt-history.tsx';
import { BuildActions } from './build-actions.tsx';
import { CommitStatus } from './commit-status.tsx';
import { RepoLink } from './repo-link.tsx';
import { FailureBanner } from './failure-banner.tsx';
import { ImageInfo } from './image-info.tsx';
import { SupplyChainInfo } from './supply-chain.tsx';
import { PlatformLogs, taskKey } from './platform-logs.tsx';
import { ImageGroups } from './image-groups.tsx';
import { useBuild } from './use-build.ts';
import { WaitingForAgent } from './waiting-for-agent.tsx';

export function BuildDetailPage({ id }: { id: string }) {
  const { build, error, reload } = useBuild(id);
  if (error && !build) {
    return (
      <main id="main" className="page">
        <p className="error" role="alert">
          {error.status === 404 ? 'There is no build with this id.' : `Could not load the build: ${error.message}`}
        </p>
        <Link href="/builds">Back to builds</Link>
      </main>
    );
  }
  if (!build) {
    return (
      <main id="main" className="page">
        <p className="muted">Loading build…</p>
      </main>
    );
  }
  return <BuildDetail key={build.id} build={build} reload={reload} />;
}

function BuildDetail({ build, reload }: { build: Build; reload(): void }) {
  const { path, search, navigate } = useRouter();
  const now = useNow(!isFinalBuildStatus(build.status));
  // Chosen once: the open tab must not jump to another platform as statuses change.
  const [fallback] = useState(() => defaultPlatform(build));
  const selected = new URLSearchParams(search).get('platform') ?? fallback;
  const select = (platform: string) => navigate(`${path}?platform=${encodeURIComponent(platform)}`, true);

  return (
    <main id="main" className="page build-detail">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link href="/builds">Builds</Link> <span aria-hidden="true">/</span> <span>{build.id.slice(0, 8)}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1>
            {build.repoId ? <RepoLink repoId={build.repoId} fallback={repoName(build.source.url)} /> : repoName(build.source.url)}{' '}
            <span className="muted">@ {refLabel(build)}</span>
          </h1>
          <p className="build-meta">
            <StatusBadge status={build.status} /> <span>{build.source.commit ? <code>{build.source.commit.slice(0, 12)}</code> : 'commit pending'}</span>
            <span> · triggered by {build.trigger}</span>
            <span> · created {formatTime(build.createdAt)}</span>
            <span> · {formatDuration(elapsed(build.startedAt, build.finishedAt, now))}</span>
          </p>
        </div>
        <BuildActions build={build} onChanged={reload} />
      </div>
      <FailureBanner build={build} />
      {build.status === 'resolving' && (
        <p className="notice" role="status">
          Resolving {build.source.ref} to a commit and reading its settings; the platforms' tasks appear once it is queued.
        </p>
      )}
      <WaitingForAgent build={build} />
      <CommitStatus build={build} />
      <AttemptHistory build={build} now={now} />
      {build.images ? <ImageGroups build={build} /> : <ImageInfo build={build} />}
      <SupplyChainInfo build={build} />
      <Timeline build={build} />
      <PlatformLogs build={build} selected={selected} onSelect={select} />
    </main>
  );
}

/** Open the tab that explains the outcome: the first failed platform, else the first. */
function defaultPlatform(build: Build): string {
  const task = build.tasks.find((t) => t.status === 'failed') ?? build.tasks.find((t) => t.status === 'running') ?? build.tasks[0];
  return task ? taskKey(task) : '';
}
