import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_OUTCOMES, BUILD_STATUSES, DELIVERY_RESULTS, TASK_STATUSES } from '@archway/contract';
import { AttemptOutcome, BuildStatus, DeliveryResult, TaskStatus } from '../generated/prisma/enums.ts';
import { createTestDatabase } from '../../../../test/support/db.ts';
import { createPrisma, type PrismaClient } from './db.ts';
import { fromDbStatus } from './build-status.ts';

// The contract's arrays are the one definition; schema.prisma's enums and the migrations must agree.
const PAIRS = [
  // Prisma spells `waiting-for-approval` with "_" (see build-status.ts); Postgres stores the contract's string.
  ['BuildStatus', Object.fromEntries(Object.values(BuildStatus).map((s) => [s, fromDbStatus(s)])), BUILD_STATUSES],
  ['TaskStatus', TaskStatus, TASK_STATUSES],
  ['AttemptOutcome', AttemptOutcome, ATTEMPT_OUTCOMES],
  ['DeliveryResult', DeliveryResult, DELIVERY_RESULTS],
] as const;

let prisma: PrismaClient;
beforeAll(async () => {
  prisma = createPrisma(await createTestDatabase());
});
afterAll(async () => prisma?.$disconnect());

describe('status enums', () => {
  it.each(PAIRS)("the generated client's %s has exactly the contract's values, in order", (_name, generated, contract) => {
    expect(Object.values(generated)).toEqual([...contract]);
  });

  it.each(PAIRS)("the migrated database's %s type has exactly the contract's values, in order", async (name, _generated, contract) => {
    const rows = await prisma.$queryRawUnsafe<{ label: string }[]>(
      'SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder',
      name,
    );
    expect(rows.map((r) => r.label)).toEqual([...contract]);
  });

  it('keeps the indexes and defaults of the status columns', async () => {
    const indexes = await prisma.$queryRawUnsafe<{ indexname: string }[]>(
      `SELECT indexname FROM pg_indexes WHERE indexname IN ('Build_status_createdAt_id_idx', 'Task_status_idx') ORDER BY 1`,
    );
    // The build's status index leads the keyset index of the status filter (20261203135000_scale_resolving_keyset).
    expect(indexes.map((i) => i.indexname)).toEqual(['Build_status_createdAt_id_idx', 'Task_status_idx']);
    const build = await prisma.build.create({
      data: { sourceUrl: 'file:///r', ref: 'main', platforms: ['linux/amd64'], tasks: { create: [{ platform: 'linux/amd64' }] } },
      include: { tasks: true },
    });
    expect(build.status).toBe('queued');
    expect(build.tasks[0]!.status).toBe('queued');
  });

  it('refuses a status outside the set, changing nothing', async () => {
    const build = await prisma.build.create({ data: { sourceUrl: 'file:///r', ref: 'main', platforms: ['linux/amd64'] } });
    await expect(prisma.$executeRawUnsafe(`UPDATE "Build" SET status = 'done' WHERE id = $1::uuid`, build.id)).rejects.toThrow(
      /invalid input value for enum "BuildStatus": "done"/,
    );
    expect((await prisma.build.findUniqueOrThrow({ where: { id: build.id } })).status).toBe('queued');
  });
});
