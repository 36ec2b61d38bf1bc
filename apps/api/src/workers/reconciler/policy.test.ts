import { describe, expect, it } from 'vitest';
import { ConfigError } from '@archway/runtime';
import { loadReconcilePolicy } from './policy.ts';

describe('loadReconcilePolicy', () => {
  it('has documented defaults, empty meaning unset', () => {
    expect(loadReconcilePolicy({ ARCHWAY_RECONCILE_INTERVAL: '' })).toEqual({
      intervalMs: 30_000,
      graceMs: 60_000,
      agentLostMs: 120_000,
      buildTimeoutMs: 3_600_000,
      timeoutGraceMs: 300_000,
      queueWaitLimitMs: 86_400_000,
      forgetAgentsMs: 7 * 86_400_000,
    });
  });

  it('reads durations, and 0 turns the queue-wait limit off', () => {
    const p = loadReconcilePolicy({
      ARCHWAY_RECONCILE_INTERVAL: '5s',
      ARCHWAY_QUEUE_WAIT_LIMIT: '0',
      ARCHWAY_AGENT_LOST_AFTER: '1m30s',
      ARCHWAY_BUILD_TIMEOUT: '2h',
    });
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
    expect(err).toBeInstanceOf(ConfigError);
    // One line per bad variable, in the format every process uses.
    expect(err!.message).toMatch(/^ {2}- ARCHWAY_RECONCILE_INTERVAL: "30" is not a duration/m);
    expect(err!.message).toMatch(/^ {2}- ARCHWAY_QUEUE_WAIT_LIMIT: "soon" is not a duration/m);
    expect(err!.message).toMatch(/^ {2}- ARCHWAY_BUILD_TIMEOUT: .*at least 1s/m);
  });
});
