import type { Build, QueueDepth } from '@archway/shared';
import { usePoll } from '../agents/use-poll.ts';
import { listQueues } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';

const REFRESH_MS = 5_000;

/** Platforms of the build whose queued tasks no live agent can take. */
export function platformsWithoutAgent(build: Build, queues: QueueDepth[]): string[] {
  const queued = [...new Set(build.tasks.filter((t) => t.status === 'queued').map((t) => t.platform))];
  return queued.filter((p) => (queues.find((q) => q.platform === p)?.agents ?? 0) === 0);
}

/**
 * Says why a task stays queued when no agent of its platform is connected: without it the build
 * page shows a queued build and nothing else (the reason was only on the Agents page).
 */
export function WaitingForAgent({ build }: { build: Build }) {
  if (!build.tasks.some((t) => t.status === 'queued')) return null;
  return <QueueCheck build={build} />;
}

function QueueCheck({ build }: { build: Build }) {
  const { data } = usePoll(listQueues, REFRESH_MS);
  if (!data) return null;
  const missing = platformsWithoutAgent(build, data);
  return <NoAgentBanner platforms={missing} othersGoOn={build.tasks.length > missing.length} />;
}

export function NoAgentBanner({ platforms, othersGoOn }: { platforms: string[]; othersGoOn: boolean }) {
  if (platforms.length === 0) return null;
  return (
    <div className="banner banner-neutral" role="status">
      <strong>No agent for {platforms.join(' or ')} is connected.</strong> {platforms.length === 1 ? 'Its task waits' : 'Their tasks wait'} in the queue until
      one starts (<Link href="/agents">Agents</Link>){othersGoOn ? '; the other platforms go on.' : '.'}
    </div>
  );
}
