import { describe, expect, it } from 'vitest';
import { ConfigError } from '@archway/runtime';
import { describePolicy, loadRetentionPolicy, orphanHorizonMs } from './policy.ts';

const H = 3_600_000;
const D = 24 * H;

describe('loadRetentionPolicy', () => {
  it('has the documented defaults; empty means unset', () => {
    const p = loadRetentionPolicy({ ARCHWAY_RETAIN_LOGS: '' });
    expect(p).toEqual({ archivesMs: 7 * D, artifactsMs: 30 * D, logsMs: 90 * D, intervalMs: H });
    expect(orphanHorizonMs(p)).toBe(90 * D);
  });
  it('takes every form of the one duration grammar', () => {
    expect(loadRetentionPolicy({ ARCHWAY_RETAIN_ARCHIVES: '1.5d', ARCHWAY_RETAIN_LOGS: '1d12h' })).toMatchObject({ archivesMs: 36 * H, logsMs: 36 * H });
    expect(describePolicy(loadRetentionPolicy({ ARCHWAY_RETAIN_ARCHIVES: '1.5d' }))).toMatchObject({ archives: '1d12h', interval: '1h' });
  });
  it('reads every variable', () => {
    const p = loadRetentionPolicy({
      ARCHWAY_RETAIN_ARCHIVES: '12h',
      ARCHWAY_RETAIN_ARTIFACTS: '2w',
      ARCHWAY_RETAIN_LOGS: '1d',
      ARCHWAY_RETENTION_INTERVAL: '15m',
    });
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
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^invalid API configuration:\n/);
    expect(msg).toContain('  - ARCHWAY_RETAIN_ARCHIVES: "7" is not a duration: a unit is missing (write 7s, 7m, 7h or 7d)');
    expect(msg).toContain('  - ARCHWAY_RETAIN_LOGS: "forever" is not a duration');
    expect(msg).toContain('  - ARCHWAY_RETENTION_INTERVAL: must be at least 10s (got "1s")');
    expect(msg).not.toContain('ARCHWAY_RETAIN_ARTIFACTS');
  });
});
