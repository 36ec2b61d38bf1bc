import { describe, expect, it } from 'vitest';
import { decide, freshMemory, type PoolBounds, type PoolMemory, type PoolState } from './policy.ts';

const MIN = 60_000;

/** Every state with up to `n` of each count, every bound pair with 0 ≤ min ≤ max ≤ n. */
function* everyCase(n: number): Generator<{ s: PoolState; b: PoolBounds }> {
  for (let min = 0; min <= n; min++)
    for (let max = Math.max(min, 1); max <= n; max++)
      for (let desired = 0; desired <= n + 1; desired++)
        for (let busy = 0; busy <= desired; busy++)
          for (let idle = 0; busy + idle <= desired; idle++)
            for (let waiting = 0; waiting <= n; waiting++) yield { s: { waiting, busy, idle, desired }, b: { min, max, cooldownMs: MIN } };
}

describe('scaling policy (pure)', () => {
  it('always answers within [min, max], and never below the busy agents while max allows them', () => {
    let cases = 0;
    for (const { s, b } of everyCase(4)) {
      for (const mem of [freshMemory(0), { lastFullAt: 0, lastScaleAt: null }, { lastFullAt: 0, lastScaleAt: 0 }]) {
        for (const now of [0, MIN - 1, MIN, 10 * MIN]) {
          const { decision } = decide(s, b, mem, now);
          cases++;
          expect(decision.replicas).toBeGreaterThanOrEqual(b.min);
          expect(decision.replicas).toBeLessThanOrEqual(b.max);
          if (s.busy <= b.max) expect(decision.replicas, JSON.stringify({ s, b, mem, now })).toBeGreaterThanOrEqual(Math.min(s.busy, s.desired));
          // A change always says why; no change says nothing.
          expect(decision.reason === '', JSON.stringify({ s, b })).toBe(decision.replicas === s.desired);
        }
      }
    }
    expect(cases).toBeGreaterThan(10_000);
  });

  it('scales up at once when jobs wait and no agent is idle or starting, whatever the cooldown', () => {
    for (const { s, b } of everyCase(4)) {
      if (s.desired < b.min || s.desired > b.max) continue;
      const starting = s.desired - s.busy - s.idle;
      const { decision } = decide(s, b, { lastFullAt: 0, lastScaleAt: 0 }, 1); // changed 1 ms ago
      if (s.waiting > 0 && s.idle === 0 && starting === 0 && s.desired < b.max) {
        expect(decision.replicas, JSON.stringify({ s, b })).toBe(Math.min(b.max, s.busy + s.waiting));
        expect(decision.reason).toMatch(/job\(s\) waiting, no agent is idle/);
      }
      // Jobs that idle or starting agents can take never add replicas.
      if (s.waiting <= s.idle + starting) expect(decision.replicas).toBeLessThanOrEqual(s.desired);
    }
  });

  it('never scales down while a job waits, nor before a whole cooldown of spare agents, nor within a cooldown of a change', () => {
    for (const { s, b } of everyCase(4)) {
      if (s.desired > b.max) continue;
      for (const mem of [
        { lastFullAt: 0, lastScaleAt: null },
        { lastFullAt: 0, lastScaleAt: 5 },
        { lastFullAt: 5, lastScaleAt: null },
      ] as PoolMemory[]) {
        const earliest = Math.max(mem.lastFullAt, mem.lastScaleAt ?? 0) + MIN;
        const early = decide(s, b, mem, earliest - 1).decision;
        if (s.desired >= b.min) expect(early.replicas, JSON.stringify({ s, b, mem })).toBeGreaterThanOrEqual(s.desired);
        const late = decide(s, b, mem, earliest).decision;
        if (s.waiting > 0 && s.desired >= b.min) expect(late.replicas).toBeGreaterThanOrEqual(s.desired);
        if (s.waiting === 0 && s.desired >= b.min && s.desired > Math.max(b.min, s.busy)) expect(late.replicas).toBe(Math.max(b.min, s.busy));
      }
    }
  });

  it('scales to zero after the cooldown when min is 0 and nothing runs, and not when min is 1', () => {
    const idle: PoolState = { waiting: 0, busy: 0, idle: 2, desired: 2 };
    let mem = freshMemory(0);
    let r = decide(idle, { min: 0, max: 3, cooldownMs: MIN }, mem, 0);
    expect(r.decision.replicas).toBe(2);
    mem = r.memory;
    r = decide(idle, { min: 0, max: 3, cooldownMs: MIN }, mem, MIN - 1);
    expect(r.decision.replicas).toBe(2);
    r = decide(idle, { min: 0, max: 3, cooldownMs: MIN }, mem, MIN);
    expect(r.decision).toEqual({ replicas: 0, reason: expect.stringMatching(/^2 more agent\(s\) than work for 1m \(cooldown 1m\); 0 busy$/) });
    expect(decide(idle, { min: 1, max: 3, cooldownMs: MIN }, mem, MIN).decision.replicas).toBe(1);
  });

  it('scales from zero on the first waiting job, to as many as wait up to max', () => {
    const b = { min: 0, max: 3, cooldownMs: MIN };
    expect(decide({ waiting: 1, busy: 0, idle: 0, desired: 0 }, b, freshMemory(0), 0).decision).toEqual({
      replicas: 1,
      reason: '1 job(s) waiting, no agent is idle',
    });
    expect(decide({ waiting: 7, busy: 0, idle: 0, desired: 0 }, b, freshMemory(0), 0).decision.replicas).toBe(3);
    // Replicas already asked for and still starting cover the jobs: no second scale-up.
    expect(decide({ waiting: 1, busy: 0, idle: 0, desired: 1 }, b, freshMemory(0), 1).decision.replicas).toBe(1);
    expect(decide({ waiting: 2, busy: 0, idle: 0, desired: 1 }, b, freshMemory(0), 1).decision).toEqual({
      replicas: 2,
      reason: '2 job(s) waiting, no agent is idle, 1 starting',
    });
  });

  it('does not flap: bursts of jobs closer together than the cooldown keep the pool up', () => {
    const b = { min: 0, max: 4, cooldownMs: 5 * MIN };
    let mem = freshMemory(0);
    let desired = 0;
    const changes: Array<[number, number]> = [];
    // A job every 3 minutes taking 1 minute for an hour, then nothing; looked at every 10 s.
    for (let t = 0; t <= 70 * MIN; t += 10_000) {
      const phase = t % (3 * MIN);
      const jobs = t < 60 * MIN && phase < MIN;
      const waiting = jobs && desired === 0 ? 1 : 0;
      const busy = jobs && desired > 0 ? 1 : 0;
      const { decision, memory } = decide({ waiting, busy, idle: desired - busy, desired }, b, mem, t);
      mem = memory;
      if (decision.replicas !== desired) changes.push([t, decision.replicas]);
      desired = decision.replicas;
    }
    // Up once at the first job; down once, a cooldown after the last job's last busy look (57m50s).
    expect(changes).toEqual([
      [0, 1],
      [57 * MIN + 50_000 + 5 * MIN, 0],
    ]);
  });

  it('goes back inside changed bounds at once', () => {
    expect(decide({ waiting: 0, busy: 0, idle: 5, desired: 5 }, { min: 0, max: 2, cooldownMs: MIN }, freshMemory(0), 0).decision).toEqual({
      replicas: 2,
      reason: 'above its maximum 2',
    });
    expect(decide({ waiting: 0, busy: 0, idle: 0, desired: 0 }, { min: 2, max: 4, cooldownMs: MIN }, freshMemory(0), 0).decision).toEqual({
      replicas: 2,
      reason: 'below its minimum 2',
    });
  });
});
