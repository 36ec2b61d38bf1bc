import { isFinalBuildStatus, type BuildSummary, type TaskStatus } from '@archway/contract';

/** One finished task of one build: how long that platform took. */
export interface TrendPoint {
  buildId: string;
  /** Position of the build, oldest first. */
  slot: number;
  platform: string;
  ms: number;
  taskStatus: TaskStatus;
}
export interface TrendSlot {
  buildId: string;
  createdAt: string;
  status: BuildSummary['status'];
  ref: string;
}
export interface TrendData {
  slots: TrendSlot[];
  platforms: string[];
  points: TrendPoint[];
  maxMs: number;
}

/**
 * Task durations per platform over the last `limit` finished builds, oldest first. A task's
 * duration is from its start (an agent took it) to its end, so queueing time is not counted.
 */
export function trendData(builds: readonly BuildSummary[], limit = 20): TrendData {
  const finished = builds
    .filter((b) => isFinalBuildStatus(b.status))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
    .slice(0, limit)
    .reverse();
  const platforms: string[] = [];
  const points: TrendPoint[] = [];
  finished.forEach((b, slot) => {
    for (const t of b.tasks) {
      if (!t.startedAt || !t.finishedAt || (t.status !== 'built' && t.status !== 'failed')) continue;
      const ms = Date.parse(t.finishedAt) - Date.parse(t.startedAt);
      if (!Number.isFinite(ms) || ms < 0) continue;
      if (!platforms.includes(t.platform)) platforms.push(t.platform);
      points.push({ buildId: b.id, slot, platform: t.platform, ms, taskStatus: t.status });
    }
  });
  platforms.sort();
  return {
    slots: finished.map((b) => ({ buildId: b.id, createdAt: b.createdAt, status: b.status, ref: b.triggerRef ?? b.source.ref })),
    platforms,
    points,
    maxMs: Math.max(0, ...points.map((p) => p.ms)),
  };
}

const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].map((s) => s * 1000);

/** A round axis top and step for durations up to `maxMs`, with at most `maxTicks` steps. */
export function durationTicks(maxMs: number, maxTicks = 4): { top: number; step: number } {
  const step = STEPS_MS.find((s) => Math.ceil(maxMs / s) <= maxTicks) ?? Math.ceil(maxMs / maxTicks / 3_600_000) * 3_600_000;
  return { top: Math.max(step, Math.ceil(maxMs / step) * step), step };
}

export interface TrendLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  yTicks: { y: number; ms: number }[];
  slotX: number[];
  series: { platform: string; index: number; path: string; points: (TrendPoint & { x: number; y: number })[] }[];
}

export const SLOT_INSET = 14;

/** SVG coordinates: builds evenly spaced left to right, durations from 0 at the bottom. */
export function trendLayout(data: TrendData, width = 640, height = 220): TrendLayout {
  const plot = { left: 56, top: 12, right: width - 12, bottom: height - 28 };
  const { top, step } = durationTicks(data.maxMs);
  const n = data.slots.length;
  // Points stay clear of the axis and the right edge (crosses and bands are drawn around them).
  const x0 = plot.left + SLOT_INSET;
  const x1 = plot.right - SLOT_INSET;
  const slotX = data.slots.map((_, i) => (n <= 1 ? (x0 + x1) / 2 : x0 + ((x1 - x0) * i) / (n - 1)));
  const y = (ms: number) => plot.bottom - ((plot.bottom - plot.top) * ms) / top;
  const yTicks: TrendLayout['yTicks'] = [];
  for (let ms = 0; ms <= top; ms += step) yTicks.push({ y: y(ms), ms });
  const series = data.platforms.map((platform, index) => {
    const points = data.points.filter((p) => p.platform === platform).map((p) => ({ ...p, x: slotX[p.slot]!, y: y(p.ms) }));
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return { platform, index, path, points };
  });
  return { width, height, plot, yTicks, slotX, series };
}
