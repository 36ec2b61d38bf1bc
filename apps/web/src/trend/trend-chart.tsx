import type { BuildSummary } from '@archway/contract';
import { useEffect, useId, useRef, useState, type MouseEvent, type RefObject } from 'react';
import { useRouter } from '../router/router.tsx';
import { formatDuration } from '../ui/format.ts';
import { trendData, trendLayout } from './trend.ts';

const SERIES = 6; // colours in the CSS (.trend-series-0 … -5); more platforms reuse them

/**
 * How long each platform took over the last builds, as an inline SVG: one line per platform,
 * failed builds marked with a red band and failed tasks with a cross. Each point links to its
 * build. The summary under the chart says the same in words.
 */
export function TrendChart({ builds, limit = 20 }: { builds: readonly BuildSummary[]; limit?: number }) {
  const { navigate } = useRouter();
  const titleId = useId();
  const [box, width] = useWidth(640);
  const data = trendData(builds, limit);
  if (data.points.length === 0) return <p className="muted">No finished builds yet: durations show here once a build of this repository has run.</p>;
  // Drawn at the size it is shown (text stays 11 px on a phone), between 300 and 720 units wide.
  const l = trendLayout(data, Math.round(Math.min(720, Math.max(300, width))));
  const open = (e: MouseEvent, id: string) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(`/builds/${id}`);
  };
  const failedBuilds = data.slots.filter((s) => s.status === 'failed').length;

  return (
    <figure className="trend" ref={box}>
      <svg viewBox={`0 0 ${l.width} ${l.height}`} role="img" aria-labelledby={titleId} className="trend-svg" data-testid="trend-chart">
        <title id={titleId}>
          Task duration per platform over the last {data.slots.length} builds{failedBuilds ? `, ${failedBuilds} failed` : ''}
        </title>
        {data.slots.map((s, i) =>
          s.status === 'failed' ? (
            <rect key={s.buildId} className="trend-failed-band" x={l.slotX[i]! - 6} y={l.plot.top} width={12} height={l.plot.bottom - l.plot.top}>
              <title>
                build {s.buildId.slice(0, 8)} ({s.ref}) failed
              </title>
            </rect>
          ) : null,
        )}
        {l.yTicks.map((t) => (
          <g key={t.ms} className="trend-grid">
            <line x1={l.plot.left} x2={l.plot.right} y1={t.y} y2={t.y} />
            <text x={l.plot.left - 6} y={t.y} dy="0.32em" textAnchor="end">
              {formatDuration(t.ms)}
            </text>
          </g>
        ))}
        <text className="trend-axis-label" x={l.plot.left} y={l.height - 8}>
          older
        </text>
        <text className="trend-axis-label" x={l.plot.right} y={l.height - 8} textAnchor="end">
          newest
        </text>
        {l.series.map((s) => (
          <g key={s.platform} className={`trend-series trend-series-${s.index % SERIES}`} data-platform={s.platform}>
            <path d={s.path} className="trend-line" />
            {s.points.map((p) => {
              const slot = data.slots[p.slot]!;
              const label = `${s.platform}: ${formatDuration(p.ms)}${p.taskStatus === 'failed' ? ' (failed)' : ''} — build ${slot.buildId.slice(0, 8)} (${slot.ref})`;
              return (
                <a key={p.buildId} href={`/builds/${p.buildId}`} onClick={(e) => open(e, p.buildId)} aria-label={label}>
                  {p.taskStatus === 'failed' ? (
                    <path
                      className="trend-point trend-point-failed"
                      d={`M${p.x - 5},${p.y - 5} L${p.x + 5},${p.y + 5} M${p.x - 5},${p.y + 5} L${p.x + 5},${p.y - 5}`}
                    />
                  ) : (
                    <circle className="trend-point" cx={p.x} cy={p.y} r={4} />
                  )}
                  <title>{label}</title>
                </a>
              );
            })}
          </g>
        ))}
      </svg>
      <figcaption>
        <ul className="trend-legend">
          {l.series.map((s) => (
            <li key={s.platform} className={`trend-series-${s.index % SERIES}`}>
              <span className="trend-swatch" aria-hidden="true" />
              <span className="trend-legend-text">
                {s.platform}: {summary(s.points.map((p) => p.ms))}
              </span>
            </li>
          ))}
          {failedBuilds > 0 && (
            <li className="trend-legend-failed">
              <span className="trend-swatch" aria-hidden="true" />
              <span className="trend-legend-text">failed build ({failedBuilds}); ✕ marks a platform that failed</span>
            </li>
          )}
        </ul>
      </figcaption>
    </figure>
  );
}

function summary(ms: number[]): string {
  if (ms.length === 0) return 'no finished task';
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return `last ${formatDuration(ms[ms.length - 1]!)}, median ${formatDuration(median)} over ${ms.length} build${ms.length === 1 ? '' : 's'}`;
}

/** The element's width, followed with a ResizeObserver (where there is none, `fallback`). */
function useWidth(fallback: number): [RefObject<HTMLElement | null>, number] {
  const ref = useRef<HTMLElement | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => entry && entry.contentRect.width > 0 && setWidth(entry.contentRect.width));
    ro.observe(el);
    return () => ro.disconnect();
  });
  return [ref, width];
}
