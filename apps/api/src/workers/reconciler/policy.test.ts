import { describe, expect, it } from 'vitest';
import { ReconcileConfigError, loadReconcilePolicy } from './policy.ts';

describe('loadReconcilePolicy', () => {
  it('has documented defaults, empty meaning unset', () => {
    expect(loadReconcilePolicy({ ARCHWAY_RECONCILE_INTERVAL: '' })).toEqual({
      intervalMs: 30_000, graceMs: 60_000, agentLostMs: 120_000, buildTimeoutMs: 3_600_000, timeoutGraceMs: 300_000,
      queueWaitLimitMs: 86_400_000, forgetAgentsMs: 7 * 86_400_000,
    });
  });

  it('reads durations, and 0 turns the queue-wait limit off', () => {
    const p = loadReconcilePolicy({ ARCHWAY_RECONCILE_INTERVAL: '5s', ARCHWAY_QUEUE_WAIT_LIMIT: '0', ARCHWAY_AGENT_LOST_AFTER: '1m30s', ARCHWAY_BUILD_TIMEOUT: '2h' });
    expect(p).toMatchObject({ intervalMs: 5000, queueWaitLimitMs: 0, agentLostMs: 90_000, buildTimeoutMs: 7_200_000 });
  });

  it('names every bad variable', () => {
    const err = (() => {
      try {
        loadReconcilePolicy({ ARCHWAY_RECONCILE_INTERVAL: '30', ARCHWAY_QUEUE_WAIT_LIMIT: 'soon', ARCHWAY_BUILD_TIMEOUT: '10ms' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ReconcileConfigError);
    expect(err!.message).toContain('ARCHWAY_RECONCILE_INTERVAL must be a duration like 30s, 5m or 24h (got "30")');
    expect(err!.message).toContain('ARCHWAY_QUEUE_WAIT_LIMIT must be a duration like 30s, 5m or 24h, or 0 for off (got "soon")');
    expect(err!.message).toContain('ARCHWAY_BUILD_TIMEOUT must be at least 1s (got "10ms")');
  });
});
