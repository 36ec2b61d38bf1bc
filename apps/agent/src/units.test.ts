import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseDuration, parseSize, resolveSize } from './units.ts';

describe('sizes and durations', () => {
  it('parses decimal and binary sizes and percentages', () => {
    expect(parseSize('512MB')).toEqual({ bytes: 512e6 });
    expect(parseSize('10GiB')).toEqual({ bytes: 10 * 1024 ** 3 });
    expect(parseSize('1.5 GB')).toEqual({ bytes: 1.5e9 });
    expect(parseSize('2g')).toEqual({ bytes: 2 * 1024 ** 3 });
    expect(parseSize('4096')).toEqual({ bytes: 4096 });
    expect(parseSize('20%')).toEqual({ percent: 20 });
    for (const bad of ['', 'lots', '10 parsecs', '120%', '-1GB']) expect(parseSize(bad)).toBeUndefined();
  });

  it('resolves percentages against the filesystem, with buildkitd-style caps', () => {
    expect(resolveSize({ percent: 10 }, 1e12)).toBe(1e11);
    expect(resolveSize({ percent: 10, capBytes: 10e9 }, 1e12)).toBe(10e9);
    expect(resolveSize({ percent: 10, capBytes: 10e9 }, 32e9)).toBe(3.2e9);
    expect(resolveSize({ bytes: 7 }, 1e12)).toBe(7);
  });

  it('parses durations with a unit (0 alone disables)', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('60m')).toBe(3_600_000);
    expect(parseDuration('48h')).toBe(48 * 3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('60')).toBeUndefined();
  });

  it('formats for people', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(28e6)).toBe('28.0 MB');
    expect(formatBytes(2e9)).toBe('2.0 GB');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(60 * 60_000 * 24)).toBe('1d');
    expect(formatDuration(90 * 60_000)).toBe('90 min');
    expect(formatDuration(2000)).toBe('2 s');
  });
});
