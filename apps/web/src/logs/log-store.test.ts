import { describe, expect, it } from 'vitest';
import { LogStore } from './log-store.ts';
import { findFailedStepLine } from './search.ts';
import { compareStreamIds } from './stream-id.ts';

describe('LogStore', () => {
  it('drops lines at or before the last applied stream id (replays after a reconnect)', () => {
    const s = new LogStore();
    expect(
      s.append([
        { id: '1700000000000-0', line: 'a' },
        { id: '1700000000000-1', line: 'b' },
      ]),
    ).toBe(2);
    // A replay overlapping the end, then new lines.
    expect(
      s.append([
        { id: '1700000000000-1', line: 'b' },
        { id: '1700000000001-0', line: 'c' },
      ]),
    ).toBe(1);
    expect(s.append([{ id: '1700000000000-0', line: 'a' }])).toBe(0);
    expect(s.lines).toEqual(['a', 'b', 'c']);
    expect(s.lastId).toBe('1700000000001-0');
  });

  it('compares ids numerically, not as text', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('1000-10', '1000-9')).toBeGreaterThan(0);
    expect(compareStreamIds('1000-0', 'x')).toBeNull();
    const s = new LogStore();
    s.append([
      { id: '999-5', line: 'old' },
      { id: '1000-0', line: 'new' },
    ]);
    expect(s.lines).toEqual(['old', 'new']);
  });

  it('notifies subscribers once per applied batch, not per line', () => {
    const s = new LogStore();
    let calls = 0;
    s.subscribe(() => calls++);
    s.append(Array.from({ length: 1000 }, (_, i) => ({ id: `1-${i}`, line: `l${i}` })));
    s.append([{ id: '1-3', line: 'dup' }]);
    expect(calls).toBe(1);
    expect(s.version()).toBe(1);
  });
});

describe('findFailedStepLine', () => {
  const store = new LogStore();
  store.append(
    [
      'STEP 1/3: FROM scratch',
      'STEP 2/3: RUN make',
      'make: *** [all] Error 2',
      '\x1b[31merror\x1b[0m: attempt 1 failed',
      'STEP 1/3: FROM scratch',
      '\x1b[1mSTEP 2/3: RUN make\x1b[0m',
      'make: *** [all] Error 2',
    ].map((line) => ({ id: null, line })),
  );

  it('finds the header of the failed step in the last attempt, through colour codes', () => {
    expect(findFailedStepLine(store, 'STEP 2/3: RUN make')).toBe(5);
    expect(findFailedStepLine(store, '2/3')).toBe(5);
  });

  it('falls back to the last line mentioning it, and null when absent', () => {
    expect(findFailedStepLine(store, 'Error 2')).toBe(6);
    expect(findFailedStepLine(store, 'STEP 3/3: RUN x')).toBeNull();
    expect(findFailedStepLine(store, null)).toBeNull();
  });

  it('carries an open colour from line to line, computing only up to the line asked for', () => {
    const s = new LogStore();
    s.append(['a', '\x1b[31mred', 'still red', '\x1b[0mplain', 'plain too'].map((line, i) => ({ id: `1-${i}`, line })));
    expect(s.styleAt(0)).toEqual({});
    expect(s.styleAt(2)).toEqual({ fg: 1 });
    expect(s.styleAt(3)).toEqual({ fg: 1 });
    expect(s.styleAt(4)).toEqual({});
    // Lines appended later continue from the last line's state.
    s.append([
      { id: '2-0', line: '\x1b[4munder' },
      { id: '2-1', line: 'line' },
    ]);
    expect(s.styleAt(6)).toEqual({ underline: true });
    s.reset();
    s.append([{ id: '3-0', line: 'fresh' }]);
    expect(s.styleAt(0)).toEqual({});
  });
});
