import type { BuildSummary } from '@archway/contract';
import { Link } from '../router/router.tsx';
import { elapsed, formatDuration, relativeTime, repoName } from '../ui/format.ts';
import { StatusBadge } from '../ui/status-badge.tsx';

/** `repoName`: the registered repository's name, when the build came from one. */
export function BuildRow({ build, now, repoName: registered }: { build: BuildSummary; now: number; repoName?: string }) {
  const href = `/builds/${build.id}`;
  const duration = elapsed(build.startedAt, build.finishedAt, now);
  const commit = build.source.commit?.slice(0, 8);
  return (
    <tr className={`build-row build-${build.status}`}>
      <td data-label="Status">
        <StatusBadge status={build.status} />
      </td>
      <td data-label="Build">
        <div>
          <Link href={href} className="build-link">
            <strong>{registered ?? repoName(build.source.url)}</strong>
            <span className="muted"> @ {refLabel(build)}</span>
          </Link>
          <div className="small muted">
            {commit && <code>{commit}</code>} {build.push && build.image ? `→ ${build.image}:${build.tags[0] ?? ''}` : 'not pushed'}
            {build.push && build.tags.length > 1 ? ` +${build.tags.length - 1} tags` : ''}
          </div>
        </div>
      </td>
      <td data-label="Platforms">
        <ul className="platform-badges" aria-label="Platforms">
          {build.tasks.map((t) => (
            <li key={t.id}>
              <StatusBadge status={t.status} label={t.platform} />
            </li>
          ))}
        </ul>
      </td>
      <td data-label="Trigger">
        <span>{build.trigger}</span>
      </td>
      <td data-label="Started">
        <time dateTime={build.createdAt} title={new Date(build.createdAt).toLocaleString()}>
          {relativeTime(build.createdAt, now)}
        </time>
      </td>
      <td data-label="Duration" className="num">
        <span>{formatDuration(duration)}</span>
      </td>
    </tr>
  );
}

/** `branch:main` → `main`, `pr:12` → `PR #12`; else the requested ref. */
export function refLabel(build: BuildSummary): string {
  const t = build.triggerRef;
  if (t?.startsWith('pr:')) return `PR #${t.slice(3)}`;
  if (t?.startsWith('branch:') || t?.startsWith('tag:')) return t.slice(t.indexOf(':') + 1);
  return build.source.ref;
}
