import { describe, expect, it } from 'vitest';
import { at, build, phase, T0, task } from '../test-support/builds.ts';
import { layoutTimeline } from './layout.ts';

// amd64 is quick (cached step), arm64 spends 30 s in one step, publish takes the last 4 s.
function twoPlatforms() {
  return build(
    [
      task('linux/amd64', [
        phase('clone', 'clone', 0, 2),
        phase('STEP 1/2: COPY . /src', 'step', 2, 3, { step: 1, cached: true }),
        phase('STEP 2/2: RUN make', 'step', 3, 13, { step: 2 }),
        phase('export', 'export', 13, 14),
        phase('upload', 'upload', 14, 15),
      ]),
      task('linux/arm64', [
        phase('clone', 'clone', 0, 2),
        phase('STEP 1/2: COPY . /src', 'step', 2, 3, { step: 1 }),
        phase('STEP 2/2: RUN make', 'step', 3, 31, { step: 2 }),
        phase('export', 'export', 31, 32),
      ]),
    ],
    { phases: [phase('publish', 'publish', 32, 36)], finishedAt: at(36) },
  );
}

describe('layoutTimeline', () => {
  it('puts every phase on one axis spanning the build, in proportion to its duration', () => {
    const l = layoutTimeline(twoPlatforms(), T0 + 999_000);
    expect(l.spanMs).toBe(36_000);
    expect(l.groups.map((g) => g.title)).toEqual(['linux/amd64', 'linux/arm64', 'publish']);
    const arm = l.groups[1]!.rows;
    const make = arm.find((r) => r.name === 'STEP 2/2: RUN make')!;
    expect(make.left).toBeCloseTo((3 / 36) * 100, 6);
    expect(make.width).toBeCloseTo((28 / 36) * 100, 6);
    const publish = l.groups[2]!.rows[0]!;
    expect(publish.left + publish.width).toBeCloseTo(100, 6);
    // Widths of a group compare like their durations.
    const amd = l.groups[0]!.rows;
    expect(amd.find((r) => r.name === 'STEP 2/2: RUN make')!.width / amd[0]!.width).toBeCloseTo(10 / 2, 6);
  });

  it('marks cached steps and the slowest phase of the whole build', () => {
    const l = layoutTimeline(twoPlatforms(), T0);
    const cached = l.groups.flatMap((g) => g.rows).filter((r) => r.cached);
    expect(cached.map((r) => `${r.name}`)).toEqual(['STEP 1/2: COPY . /src']);
    const slowest = l.groups.flatMap((g) => g.rows.map((r) => ({ g: g.title, r }))).filter(({ r }) => r.slowest);
    expect(slowest).toHaveLength(1);
    expect(slowest[0]!.g).toBe('linux/arm64');
    expect(slowest[0]!.r.durationMs).toBe(28_000);
  });

  it('grows running phases to now, and the axis with them', () => {
    const running = build(
      [task('linux/arm64', [phase('clone', 'clone', 0, 2), phase('STEP 1/1: RUN sleep', 'step', 2, null, { step: 1 })], { status: 'running' })],
      {
        status: 'running',
      },
    );
    const early = layoutTimeline(running, T0 + 10_000);
    const later = layoutTimeline(running, T0 + 20_000);
    expect(early.spanMs).toBe(10_000);
    expect(later.spanMs).toBe(20_000);
    const stepEarly = early.groups[0]!.rows[1]!;
    const stepLater = later.groups[0]!.rows[1]!;
    expect(stepEarly.running).toBe(true);
    expect(stepEarly.durationMs).toBe(8_000);
    expect(stepLater.durationMs).toBe(18_000);
    expect(stepLater.width).toBeGreaterThan(stepEarly.width);
  });

  it('shows only the latest attempt of a retried task', () => {
    const retried = build(
      [
        task(
          'linux/amd64',
          [phase('clone', 'clone', 0, 5), phase('clone', 'clone', 10, 12, { attempt: 2 }), phase('export', 'export', 12, 13, { attempt: 2 })],
          { attempts: 2 },
        ),
      ],
      { finishedAt: at(13) },
    );
    const g = layoutTimeline(retried, T0).groups[0]!;
    expect(g.attempt).toBe(2);
    expect(g.rows.map((r) => r.name)).toEqual(['clone', 'export']);
    expect(g.rows[0]!.durationMs).toBe(2_000);
  });

  it('does not treat the whole-build umbrella phase as the slowest part', () => {
    const b = build(
      [
        task('linux/amd64', [
          phase('build', 'build', 0, 20),
          phase('STEP 1/2: RUN a', 'step', 0, 5, { step: 1 }),
          phase('STEP 2/2: RUN b', 'step', 5, 20, { step: 2 }),
        ]),
      ],
      {
        finishedAt: at(20),
      },
    );
    const slowest = layoutTimeline(b, T0).groups[0]!.rows.find((r) => r.slowest)!;
    expect(slowest.name).toBe('STEP 2/2: RUN b');
  });
});
