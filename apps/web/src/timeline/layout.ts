import { isFinalBuildStatus, type Build, type Phase, type Task } from '@archway/contract';

export interface TimelineRow {
  key: string;
  name: string;
  kind: Phase['kind'];
  step: number | null;
  startedAt: string;
  durationMs: number;
  running: boolean;
  cached: boolean;
  /** Position and size on the build's time axis, in percent. */
  left: number;
  width: number;
  slowest: boolean;
}
export interface TimelineGroup {
  key: string;
  title: string;
  status: string;
  attempt: number;
  rows: TimelineRow[];
}
export interface TimelineLayout {
  spanMs: number;
  groups: TimelineGroup[];
  /** Axis labels at even fractions of the span. */
  ticks: { at: number; ms: number }[];
}

// `build` is the whole `buildah build`, which contains the steps: not a candidate for "slowest".
const UMBRELLA = new Set<Phase['kind']>(['build']);

/**
 * Lays every phase of a build on one time axis: one group per platform (its latest attempt)
 * plus the build-level phases (merge, push, publish). Unfinished phases grow to `now` while the
 * build runs, so the bar of the slow part is visibly the long one.
 */
export function layoutTimeline(build: Build, now: number): TimelineLayout {
  const buildFinal = isFinalBuildStatus(build.status);
  const buildEnd = build.finishedAt ? Date.parse(build.finishedAt) : null;
  const sources: { key: string; title: string; status: string; phases: Phase[] }[] = build.tasks.map((t: Task) => ({
    key: t.id,
    title: t.platform,
    status: t.status,
    phases: t.phases,
  }));
  if (build.phases.length) sources.push({ key: 'build', title: 'publish', status: build.status, phases: build.phases });

  const spans = sources.map((s) => {
    const attempt = Math.max(0, ...s.phases.map((p) => p.attempt));
    const phases = s.phases.filter((p) => p.attempt === attempt);
    return {
      ...s,
      attempt,
      phases: phases.map((p) => {
        const start = Date.parse(p.startedAt);
        const running = p.endedAt === null && !buildFinal;
        const end = p.endedAt ? Date.parse(p.endedAt) : running ? Math.max(now, start) : (buildEnd ?? start);
        return { p, start, end, running, duration: p.durationMs ?? end - start };
      }),
    };
  });

  const all = spans.flatMap((s) => s.phases);
  const starts = all.map((x) => x.start);
  if (build.startedAt) starts.push(Date.parse(build.startedAt));
  const t0 = starts.length ? Math.min(...starts) : now;
  const ends = all.map((x) => x.end);
  if (buildEnd !== null) ends.push(buildEnd);
  else if (!buildFinal && all.length) ends.push(now);
  const t1 = Math.max(t0, ...ends);
  const spanMs = Math.max(1, t1 - t0);

  let slowestKey: string | null = null;
  let slowestMs = -1;
  const groups: TimelineGroup[] = spans.map((s) => ({
    key: s.key,
    title: s.title,
    status: s.status,
    attempt: s.attempt,
    rows: s.phases
      .sort((a, b) => a.start - b.start || (a.p.step ?? 0) - (b.p.step ?? 0))
      .map(({ p, start, end, running, duration }) => {
        const key = `${s.key}/${p.attempt}/${p.name}`;
        if (!UMBRELLA.has(p.kind) && duration > slowestMs) {
          slowestMs = duration;
          slowestKey = key;
        }
        return {
          key,
          name: p.name,
          kind: p.kind,
          step: p.step ?? null,
          startedAt: p.startedAt,
          durationMs: Math.max(0, duration),
          running,
          cached: p.cached === true,
          left: ((start - t0) / spanMs) * 100,
          width: (Math.max(0, end - start) / spanMs) * 100,
          slowest: false,
        };
      }),
  }));
  for (const g of groups) for (const r of g.rows) r.slowest = r.key === slowestKey && slowestMs > 0;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: f * 100, ms: f * spanMs }));
  return { spanMs, groups, ticks };
}
