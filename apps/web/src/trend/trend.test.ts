import { describe, expect, it } from 'vitest';
import { at, build, task } from '../test-support/builds.ts';
import { durationTicks, SLOT_INSET, trendData, trendLayout } from './trend.ts';

/** A build created at second `s` whose tasks ran for the given seconds. */
function run(n: number, secs: Record<string, number>, extra: Parameters<typeof build>[1] = {}, taskStatus: 'built' | 'failed' = 'built') {
  const tasks = Object.entries(secs).map(([platform, d]) => task(platform, [], { status: taskStatus, startedAt: at(n * 100), finishedAt: at(n * 100 + d) }));
  return build(tasks, { id: `b${n}`, createdAt: at(n * 100), status: taskStatus === 'failed' ? 'failed' : 'succeeded', ...extra });
}

describe('trendData', () => {
  it('orders the last finished builds oldest first with a point per finished task', () => {
    const builds = [
      run(3, { 'linux/amd64': 40, 'linux/arm64': 90 }),
      run(1, { 'linux/amd64': 60, 'linux/arm64': 120 }),
      run(2, { 'linux/amd64': 50 }, {}, 'failed'),
      run(4, { 'linux/amd64': 10 }, { status: 'running', finishedAt: null }),
    ];
    const d = trendData(builds);
    expect(d.slots.map((s) => s.buildId)).toEqual(['b1', 'b2', 'b3']);
    expect(d.slots.map((s) => s.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(d.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(d.points.filter((p) => p.platform === 'linux/amd64').map((p) => [p.slot, p.ms, p.taskStatus])).toEqual([
      [0, 60_000, 'built'],
      [1, 50_000, 'failed'],
      [2, 40_000, 'built'],
    ]);
    expect(d.points.filter((p) => p.platform === 'linux/arm64').map((p) => p.slot)).toEqual([0, 2]);
    expect(d.maxMs).toBe(120_000);
  });

  it('keeps only the newest `limit` builds and skips tasks that never ran', () => {
    const builds = Array.from({ length: 8 }, (_, i) => run(i, { 'linux/amd64': 10 + i }));
    builds.push(build([task('linux/amd64', [], { status: 'canceled', startedAt: null })], { id: 'canceled', createdAt: at(900), status: 'canceled' }));
    const d = trendData(builds, 5);
    expect(d.slots.map((s) => s.buildId)).toEqual(['b4', 'b5', 'b6', 'b7', 'canceled']);
    expect(d.points.map((p) => p.ms)).toEqual([14_000, 15_000, 16_000, 17_000]);
  });
});

describe('durationTicks', () => {
  it('picks a round step with at most four intervals', () => {
    expect(durationTicks(0)).toEqual({ top: 1000, step: 1000 });
    expect(durationTicks(3_500)).toEqual({ top: 4000, step: 1000 });
    expect(durationTicks(95_000)).toEqual({ top: 120_000, step: 30_000 });
    expect(durationTicks(25 * 60_000)).toEqual({ top: 30 * 60_000, step: 10 * 60_000 });
  });
});

describe('trendLayout', () => {
  it('spaces builds evenly and puts longer durations higher', () => {
    const d = trendData([run(1, { 'linux/amd64': 60 }), run(2, { 'linux/amd64': 30 }), run(3, { 'linux/amd64': 120 })]);
    const l = trendLayout(d, 640, 220);
    expect(l.slotX[0]).toBe(l.plot.left + SLOT_INSET);
    expect(l.slotX[2]).toBe(l.plot.right - SLOT_INSET);
    expect(l.slotX[1]).toBeCloseTo((l.plot.left + l.plot.right) / 2, 6);
    const [a, b, c] = l.series[0]!.points;
    expect(b!.y).toBeGreaterThan(a!.y);
    expect(c!.y).toBeLessThan(a!.y);
    // 120 s on a 0–120 s axis reaches the top; the zero tick is the bottom.
    expect(c!.y).toBeCloseTo(l.plot.top, 6);
    expect(l.yTicks[0]).toEqual({ y: l.plot.bottom, ms: 0 });
    expect(l.series[0]!.path.startsWith(`M${a!.x.toFixed(1)},${a!.y.toFixed(1)} L`)).toBe(true);
  });
});
