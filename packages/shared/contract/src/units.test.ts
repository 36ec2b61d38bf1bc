import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatSize, parseBytes, parseDuration, readDuration, readSize, resolveSize } from './units.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('the duration grammar', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90 * S],
    ['60m', H],
    ['1.5h', 1.5 * H],
    ['1h30m', 1.5 * H],
    ['1h 30m', 1.5 * H],
    ['1d12h', 36 * H],
    ['7d', 7 * D],
    ['2w', 14 * D],
    [' 30M ', 30 * M],
    ['0', 0],
    ['0s', 0],
    ['1m500ms', M + 500],
    ['0.5s', 500],
  ])('reads %j as %d ms', (text, ms) => {
    expect(readDuration(text)).toEqual({ ok: true, value: ms });
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'it is empty'],
    ['7', 'a unit is missing (write 7s, 7m, 7h or 7d)'],
    ['-1d', 'it is negative'],
    ['7 days', 'unknown unit "days" (use ms, s, m, h, d or w)'],
    ['1y', 'unknown unit "y"'],
    ['30m1h', 'write each unit once, larger units first (like 1h30m)'],
    ['1h1h', 'write each unit once'],
    ['d', 'write a number and a unit'],
    ['1h30', 'write a number and a unit'],
    ['soon', 'write a number and a unit'],
    ['1e3s', 'unknown unit "e"'],
    ['99999999999999999w', 'it is too long'],
  ])('refuses %j: %s', (text, why) => {
    const r = readDuration(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(`"${text}" is not a duration: ${why}`);
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [0, '0ms', 0],
    [850, '850ms', 850],
    [1500, '1.5s', 1500],
    [1549, '1.5s', 1500],
    [2000, '2s', 2000],
    [12_400, '12s', 12_000],
    [90 * S, '1m30s', 90 * S],
    [H, '1h', H],
    [1.5 * H, '1h30m', 1.5 * H],
    [36 * H, '1d12h', 36 * H],
    [90 * D, '90d', 90 * D],
    [H + 2 * M + 3 * S, '1h2m3s', H + 2 * M + 3 * S],
  ])('formats %d ms as %j, which reads back as %d', (ms, text, back) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(back);
  });

  it('keeps only the largest units when asked', () => {
    expect(formatDuration(H + 2 * M + 3 * S, { parts: 2 })).toBe('1h2m');
    expect(formatDuration(3 * M + 5 * S, { parts: 2 })).toBe('3m5s');
    expect(formatDuration(Number.NaN)).toBe('–');
  });
});

describe('the size grammar', () => {
  it.each([
    ['512MB', { bytes: 512e6 }],
    ['4GiB', { bytes: 4 * 1024 ** 3 }],
    ['1.5 GB', { bytes: 1.5e9 }],
    ['2g', { bytes: 2 * 1024 ** 3 }],
    ['64k', { bytes: 64 * 1024 }],
    ['4096', { bytes: 4096 }],
    ['100b', { bytes: 100 }],
    ['20%', { percent: 20 }],
  ])('reads %j', (text, size) => {
    expect(readSize(text, { percent: true })).toEqual({ ok: true, value: size });
  });

  it.each([
    ['', 'it is empty', true],
    ['lots', 'write a number and a unit, like 512MB, 4GiB, 1048576 or 20%', true],
    ['10 parsecs', 'unknown unit "parsecs"', true],
    ['120%', 'a percentage is at most 100%', true],
    ['-1GB', 'it is negative', true],
    ['20%', 'a percentage is not allowed here', false],
    ['lots', 'write a number and a unit, like 512MB, 4GiB or 1048576', false],
  ])('refuses %j: %s', (text, why, percent) => {
    const r = readSize(text, { percent });
    expect(!r.ok && r.error).toContain(`"${text}" is not a size: ${why}`);
  });

  it('reads bytes only where a share makes no sense', () => {
    expect(parseBytes('1MiB')).toBe(1024 * 1024);
    expect(parseBytes('20%')).toBeUndefined();
  });

  it('resolves percentages against the filesystem, with buildkitd-style caps', () => {
    expect(resolveSize({ percent: 10 }, 1e12)).toBe(1e11);
    expect(resolveSize({ percent: 10, capBytes: 10e9 }, 1e12)).toBe(10e9);
    expect(resolveSize({ percent: 10, capBytes: 10e9 }, 32e9)).toBe(3.2e9);
    expect(resolveSize({ bytes: 7 }, 1e12)).toBe(7);
  });

  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024, '1 MiB'],
    [28 * 1024 * 1024, '28 MiB'],
    [2.5 * 1024 ** 3, '2.5 GiB'],
    [1e6, '977 KiB'],
  ])('formats %d bytes as %j', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('formats configured sizes', () => {
    expect(formatSize({ bytes: 1024 ** 3 })).toBe('1 GiB');
    expect(formatSize({ percent: 20 })).toBe('20%');
    expect(formatSize({ percent: 10, capBytes: 10 * 1024 ** 3 })).toBe('10% (at most 10 GiB)');
  });
});
