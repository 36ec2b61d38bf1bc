import { describe, expect, it } from 'vitest';
import {
  BUILD_STATUSES,
  CANCELABLE_BUILD_STATUSES,
  FINAL_BUILD_STATUSES,
  FINAL_TASK_STATUSES,
  isCancelableBuildStatus,
  isFinalBuildStatus,
  isFinalTaskStatus,
  isOpenBuildStatus,
  isOpenTaskStatus,
  OPEN_BUILD_STATUSES,
  OPEN_TASK_STATUSES,
  QUEUED_BUILD_STATUSES,
  TASK_STATUSES,
} from './statuses.ts';

describe('status sets', () => {
  it('split every build and task status into open and final, with nothing in both', () => {
    expect([...OPEN_BUILD_STATUSES, ...FINAL_BUILD_STATUSES].sort()).toEqual([...BUILD_STATUSES].sort());
    expect([...OPEN_TASK_STATUSES, ...FINAL_TASK_STATUSES].sort()).toEqual([...TASK_STATUSES].sort());
    for (const s of BUILD_STATUSES) expect(isOpenBuildStatus(s), s).toBe(!isFinalBuildStatus(s));
    for (const s of TASK_STATUSES) expect(isOpenTaskStatus(s), s).toBe(!isFinalTaskStatus(s));
  });
  it('cancel only builds that are open and not yet publishing', () => {
    expect(CANCELABLE_BUILD_STATUSES.every(isOpenBuildStatus)).toBe(true);
    expect(BUILD_STATUSES.filter(isCancelableBuildStatus)).toEqual(['waiting-for-approval', 'resolving', 'queued', 'running']);
  });
  it('a build waiting for approval is open but not queued: nothing in Redis to sweep', () => {
    expect(isOpenBuildStatus('waiting-for-approval')).toBe(true);
    expect(QUEUED_BUILD_STATUSES).toEqual(OPEN_BUILD_STATUSES.filter((s) => s !== 'waiting-for-approval' && s !== 'resolving'));
  });
  it('guards: task statuses are not build statuses, unknown strings are neither', () => {
    expect(isFinalBuildStatus('succeeded')).toBe(true);
    expect(isFinalBuildStatus('built')).toBe(false);
    expect(isFinalTaskStatus('built')).toBe(true);
    expect(isFinalTaskStatus('succeeded')).toBe(false);
    expect(isOpenBuildStatus('publishing')).toBe(true);
    expect(isOpenTaskStatus('done')).toBe(false);
  });
});
