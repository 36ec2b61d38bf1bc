import { describe, expect, it } from 'vitest';
import { Turns } from './turns.ts';

/** A promise and the function that settles it. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('Turns', () => {
  it('runs at most `size` holders at once; the others wait and go in order', async () => {
    const turns = new Turns(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      turns.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(turns.counts).toEqual({ active: 2, waiting: 2 });
    gates[1]!.open();
    await runs[1];
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    await runs[0];
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.open();
    gates[3]!.open();
    await Promise.all(runs);
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('gives the turn back while a holder is away, and takes one again before going on', async () => {
    const turns = new Turns(1);
    const outside = gate<string>();
    const order: string[] = [];
    const first = turns.run(async () => {
      order.push('first: before');
      const answer = await turns.away(() => outside.promise);
      order.push(`first: after (${answer})`);
    });
    const second = gate();
    const other = turns.run(async () => {
      order.push('second: runs while first is away');
      await second.promise;
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['first: before', 'second: runs while first is away']);
    outside.open('git answered');
    await new Promise((r) => setImmediate(r));
    // The only turn is the second's: the first waits for it.
    expect(order).toHaveLength(2);
    expect(turns.counts).toEqual({ active: 1, waiting: 1 });
    second.open();
    await Promise.all([first, other]);
    expect(order[2]).toBe('first: after (git answered)');
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('runs `away` as is outside a turn and inside another away (no turn given back twice)', async () => {
    const turns = new Turns(1);
    expect(await turns.away(async () => 'no turn held')).toBe('no turn held');
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
    await turns.run(async () => {
      await turns.away(async () => {
        expect(turns.counts).toEqual({ active: 0, waiting: 0 });
        await turns.away(async () => {});
        expect(turns.counts).toEqual({ active: 0, waiting: 0 });
      });
      expect(turns.counts).toEqual({ active: 1, waiting: 0 });
    });
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('gives the turn back when the holder or its away part throws', async () => {
    const turns = new Turns(1);
    await expect(turns.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(turns.run(() => turns.away(async () => Promise.reject(new Error('git failed'))))).rejects.toThrow('git failed');
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
    expect(await turns.run(async () => 'next')).toBe('next');
  });

  it('gives one turn back for two things awaited at once, and takes one back after both', async () => {
    const turns = new Turns(1);
    const a = gate();
    const b = gate();
    let after = false;
    const holder = turns.run(async () => {
      await Promise.all([turns.away(() => a.promise), turns.away(() => b.promise)]);
      after = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
    a.open();
    await new Promise((r) => setImmediate(r));
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
    b.open();
    await holder;
    expect(after).toBe(true);
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
    // Nothing leaked: both turns of a fresh pair are there.
    expect(await turns.run(async () => 'free')).toBe('free');
  });

  it('takes nothing for work a run left running after it returned', async () => {
    const turns = new Turns(1);
    const late = gate();
    const git = gate<string>();
    let leftRunning: Promise<unknown> | undefined;
    await turns.run(async () => {
      leftRunning = (async () => {
        await late.promise;
        return turns.away(() => git.promise);
      })();
    });
    const other = gate();
    const next = turns.run(() => other.promise);
    late.open();
    await new Promise((r) => setImmediate(r));
    // The late git call gave back no turn: `next` still has the only one, a third run waits.
    const third = turns.run(async () => 'third');
    expect(turns.counts).toEqual({ active: 1, waiting: 1 });
    git.open('git, after the run');
    expect(await leftRunning).toBe('git, after the run');
    expect(turns.counts).toEqual({ active: 1, waiting: 1 });
    other.open();
    await next;
    expect(await third).toBe('third');
    expect(turns.counts).toEqual({ active: 0, waiting: 0 });
  });
});
