import { isOpenTaskStatus, type Build, type QueueDepth } from '@archway/contract';
import { usePoll } from '../agents/use-poll.ts';
import { listQueues } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';

const REFRESH_MS = 5_000;

/**
 * Platforms of the build whose open tasks no live agent can take: queued with none ever there, or
 * running on an agent that stopped answering (its job is taken up again only by an agent of that
 * platform, when one connects).
 */
export function platformsWithoutAgent(build: Build, queues: QueueDepth[]): string[] {
  // Waiting for approval: nothing is queued yet, so no agent is missing.
  if (build.status === 'waiting-for-approval') return [];
  const open = [...new Set(build.tasks.filter((t) => isOpenTaskStatus(t.status)).map((t) => t.platform))];
  return open.filter((p) => (queues.find((q) => q.platform === p)?.agents ?? 0) === 0);
}

/**
 * Says why a task does not move when no agent of its platform is connected: without it the build
 * page shows a queued (or forever running) task and nothing else.
 */
export function WaitingForAgent({ build }: { build: Build }) {
  if (!build.tasks.some((t) => isOpenTaskStatus(t.status))) return null;
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
      <strong>No agent for {platforms.join(' or ')} is connected.</strong> {platforms.length === 1 ? 'Its task waits' : 'Their tasks wait'} until one connects (
      <Link href="/agents">Agents</Link>){othersGoOn ? '; the other platforms go on.' : '.'}
    </div>
  );
}
