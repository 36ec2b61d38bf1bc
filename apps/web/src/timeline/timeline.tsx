import { isFinalBuildStatus, type Build } from '@archway/contract';
import { formatDuration } from '../ui/format.ts';
import { StatusBadge } from '../ui/status-badge.tsx';
import { useNow } from '../ui/use-now.ts';
import { layoutTimeline } from './layout.ts';

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Phases of every platform on one time axis; the slowest phase is called out in words too. */
export function Timeline({ build, now: fixedNow }: { build: Build; now?: number }) {
  const ticking = useNow(fixedNow === undefined && !isFinalBuildStatus(build.status));
  const now = fixedNow ?? ticking;
  const layout = layoutTimeline(build, now);
  const hasPhases = layout.groups.some((g) => g.rows.length);
  const slowest = layout.groups.flatMap((g) => g.rows.map((r) => ({ g, r }))).find(({ r }) => r.slowest);

  return (
    <section className="timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Phases</h2>
      {!hasPhases && <p className="muted">No phases recorded yet.</p>}
      {slowest && (
        <p className="timeline-summary">
          Slowest: <strong title={slowest.r.name}>{shorten(slowest.r.name, 90)}</strong> on {slowest.g.title}, {formatDuration(slowest.r.durationMs)}
          {slowest.r.running ? ' so far' : ''} of {formatDuration(layout.spanMs)}.
        </p>
      )}
      {hasPhases && (
        <div className="timeline-axis" aria-hidden="true">
          {layout.ticks.map((t) => (
            <span key={t.at} style={{ left: `${t.at}%` }}>
              {formatDuration(t.ms)}
            </span>
          ))}
        </div>
      )}
      {layout.groups
        .filter((g) => g.rows.length)
        .map((g) => (
          <div key={g.key} className="timeline-group">
            <h3>
              {g.title} <StatusBadge status={g.status} />
              {g.attempt > 1 && <span className="muted"> attempt {g.attempt}</span>}
            </h3>
            <ol className="timeline-rows">
              {g.rows.map((r) => (
                <li
                  key={r.key}
                  className={`timeline-row kind-${r.kind}${r.cached ? ' cached' : ''}${r.running ? ' running' : ''}${r.slowest ? ' slowest' : ''}`}
                >
                  <span className="timeline-name" title={r.name}>
                    {r.name}
                  </span>
                  <span className="timeline-track">
                    <span
                      className="timeline-bar"
                      data-testid="timeline-bar"
                      style={{ left: `${r.left}%`, width: `${r.width}%` }}
                      title={`${r.name}: ${formatDuration(r.durationMs)}${r.cached ? ' (cached)' : ''}`}
                    />
                  </span>
                  <span className="timeline-duration">
                    {formatDuration(r.durationMs)}
                    {r.running && <span className="tag"> running</span>}
                    {r.cached && <span className="tag cached-tag"> cached</span>}
                  </span>
                </li>
              ))}
            </ol>
          </div>
        ))}
    </section>
  );
}
