import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlatform, type BuildEvent } from '@archway/contract';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { createPrisma, type PrismaClient } from '../../infra/db.ts';
import { BUILD_INCLUDE, toBuild } from '../../http/builds/serialize.ts';
import { applyEvent } from './apply.ts';

let prisma: PrismaClient;
beforeAll(async () => {
  prisma = createPrisma(await createTestDatabase());
});
afterAll(async () => {
  await prisma?.$disconnect();
});

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();

async function newTask() {
  const build = await prisma.build.create({
    data: {
      sourceUrl: 'file:///repo',
      ref: 'main',
      commit: 'a'.repeat(40),
      platforms: ['linux/amd64'],
      tags: [],
      push: false,
      tasks: { create: [{ platform: 'linux/amd64' }] },
    },
    include: { tasks: true },
  });
  return { buildId: build.id, taskId: build.tasks[0]!.id };
}

async function history(buildId: string) {
  const row = await prisma.build.findUniqueOrThrow({ where: { id: buildId }, include: BUILD_INCLUDE });
  return toBuild(row).tasks[0]!;
}

describe('task history (TaskAttempt rows from events)', () => {
  it('records each attempt with its agent and how it ended: requeued, agent lost, built', async () => {
    const { buildId, taskId } = await newTask();
    const base = { buildId, taskId };
    const events: BuildEvent[] = [
      { type: 'task.started', ...base, at: at(1), attempt: 1, agent: 'a' },
      { type: 'task.requeued', ...base, at: at(2), attempt: 1, agent: 'a', reason: 'agent a was shut down; the task goes back to the queue', cause: 'evicted' },
      { type: 'task.started', ...base, at: at(3), attempt: 2, agent: 'b' },
      // Agent b is killed; agent c reports the lost attempt, then runs its own.
      { type: 'task.failed', ...base, at: at(20), attempt: 2, agent: 'b', reason: 'agent b was lost during attempt 2', final: false, cause: 'agent-lost' },
      { type: 'task.started', ...base, at: at(21), attempt: 3, agent: 'c' },
      {
        type: 'task.built',
        ...base,
        at: at(30),
        attempt: 3,
        result: { taskId, platform: parsePlatform('linux/amd64'), archiveKey: 'k', archiveSize: 1, archiveDigest: 'sha256:1', manifestDigest: 'sha256:2' },
      },
    ];
    for (const e of events) await applyEvent(prisma, e);
    // At-least-once delivery: everything again, changing nothing.
    for (const e of events) expect(await applyEvent(prisma, e)).toBe(false);

    const task = await history(buildId);
    expect(task).toMatchObject({ status: 'built', agent: 'c', attempts: 3 });
    expect(task.history).toEqual([
      {
        attempt: 1,
        agent: 'a',
        startedAt: at(1),
        endedAt: at(2),
        outcome: 'requeued',
        cause: 'evicted',
        reason: 'agent a was shut down; the task goes back to the queue',
      },
      { attempt: 2, agent: 'b', startedAt: at(3), endedAt: at(20), outcome: 'failed', cause: 'agent-lost', reason: 'agent b was lost during attempt 2' },
      { attempt: 3, agent: 'c', startedAt: at(21), endedAt: at(30), outcome: 'built', cause: null, reason: null },
    ]);
  });

  it('an attempt given back before it started (out of disk) and a failing step', async () => {
    const { buildId, taskId } = await newTask();
    const base = { buildId, taskId };
    await applyEvent(prisma, {
      type: 'task.requeued',
      ...base,
      at: at(1),
      attempt: 1,
      agent: 'small',
      reason: 'out of disk on small: 1 GB free',
      cause: 'out-of-disk',
    });
    expect((await history(buildId)).status).toBe('queued');
    await applyEvent(prisma, {
      type: 'task.failed',
      ...base,
      at: at(9),
      attempt: 2,
      reason: 'step 2/2 "RUN false" failed with exit code 1',
      step: 'step 2/2: RUN false',
      exitCode: 1,
      final: true,
    });
    // The start arrives late: it fills in the start, and does not reopen the attempt.
    await applyEvent(prisma, { type: 'task.started', ...base, at: at(2), attempt: 2, agent: 'big' });
    const task = await history(buildId);
    expect(task.status).toBe('failed');
    expect(task.history).toEqual([
      { attempt: 1, agent: 'small', startedAt: null, endedAt: at(1), outcome: 'requeued', cause: 'out-of-disk', reason: 'out of disk on small: 1 GB free' },
      {
        attempt: 2,
        agent: 'big',
        startedAt: at(2),
        endedAt: at(9),
        outcome: 'failed',
        cause: 'step-failed',
        reason: 'step 2/2 "RUN false" failed with exit code 1',
      },
    ]);
  });
});
