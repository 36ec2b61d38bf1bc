import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';
import { loadRetentionPolicy, orphanHorizonMs, RetentionConfigError } from './policy.ts';

const H = 3_600_000;
const D = 24 * H;

describe('parseDuration', () => {
  it('reads units and combinations', () => {
    expect(parseDuration('7d')).toBe(7 * D);
    expect(parseDuration('12h')).toBe(12 * H);
    expect(parseDuration('1d12h')).toBe(36 * H);
    expect(parseDuration('2w')).toBe(14 * D);
    expect(parseDuration(' 30M ')).toBe(30 * 60_000);
    expect(parseDuration('500ms')).toBe(500);
  });
  it('rejects bare numbers and unknown units', () => {
    for (const bad of ['7', '', 'd', '7 days', '1y', '-1d', '1.5d']) expect(parseDuration(bad), bad).toBeUndefined();
  });
  it('formats for log lines', () => {
    expect(formatDuration(36 * H)).toBe('1d12h');
    expect(formatDuration(90 * D)).toBe('90d');
    expect(formatDuration(1500)).toBe('1s500ms');
  });
});

describe('loadRetentionPolicy', () => {
  it('has the documented defaults; empty means unset', () => {
    const p = loadRetentionPolicy({ ARCHWAY_RETAIN_LOGS: '' });
    expect(p).toEqual({ archivesMs: 7 * D, artifactsMs: 30 * D, logsMs: 90 * D, intervalMs: H });
    expect(orphanHorizonMs(p)).toBe(90 * D);
  });
  it('reads every variable', () => {
    const p = loadRetentionPolicy({ ARCHWAY_RETAIN_ARCHIVES: '12h', ARCHWAY_RETAIN_ARTIFACTS: '2w', ARCHWAY_RETAIN_LOGS: '1d', ARCHWAY_RETENTION_INTERVAL: '15m' });
    expect(p).toEqual({ archivesMs: 12 * H, artifactsMs: 14 * D, logsMs: D, intervalMs: 15 * 60_000 });
    expect(orphanHorizonMs(p)).toBe(14 * D);
  });
  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadRetentionPolicy({ ARCHWAY_RETAIN_ARCHIVES: '7', ARCHWAY_RETAIN_LOGS: 'forever', ARCHWAY_RETENTION_INTERVAL: '1s' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RetentionConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('ARCHWAY_RETAIN_ARCHIVES must be a duration like 7d, 12h or 30m (got "7")');
    expect(msg).toContain('ARCHWAY_RETAIN_LOGS must be a duration like 7d, 12h or 30m (got "forever")');
    expect(msg).toContain('ARCHWAY_RETENTION_INTERVAL must be at least 10s (got "1s")');
    expect(msg).not.toContain('ARCHWAY_RETAIN_ARTIFACTS');
  });
});
