// Fixtures for the retention tests (not used by production code).
import { objectKeys, parsePlatform } from '@archway/contract';
import type { DbBuildStatus as BuildStatus } from '../../infra/build-status.ts';
import { readableFrom, type ObjectStore } from '@archway/runtime';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { RetentionLog } from './log.ts';
import type { RetentionPolicy } from './policy.ts';

export const DAY = 86_400_000;
export const POLICY: RetentionPolicy = { archivesMs: 7 * DAY, artifactsMs: 30 * DAY, logsMs: 90 * DAY, intervalMs: 3_600_000 };
export const PLATFORMS = ['linux/amd64', 'linux/arm64'].map(parsePlatform);

export interface Seeded {
  id: string;
  archives: string[];
  logs: string[];
}

/**
 * A build with one task per platform, finished `ageDays` before `now` (or unfinished when
 * `status` is open), and its archive and log objects in the store. `archiveFor` limits which
 * platforms uploaded an archive (a failed platform has a log but no archive).
 */
export async function seedBuild(
  prisma: PrismaClient,
  store: ObjectStore,
  opts: { now: Date; status: BuildStatus; push?: boolean; ageDays: number | null; archiveFor?: string[]; archiveBytes?: number },
): Promise<Seeded> {
  const finishedAt = opts.ageDays === null ? null : new Date(opts.now.getTime() - opts.ageDays * DAY);
  const build = await prisma.build.create({
    data: {
      status: opts.status,
      push: opts.push ?? true,
      sourceUrl: 'https://example.test/app.git',
      ref: 'main',
      platforms: PLATFORMS,
      tags: ['latest'],
      createdAt: new Date(opts.now.getTime() - ((opts.ageDays ?? 0) + 1) * DAY),
      finishedAt,
      tasks: { create: PLATFORMS.map((platform) => ({ platform, status: 'built' })) },
    },
  });
  const archives = (opts.archiveFor?.map(parsePlatform) ?? PLATFORMS).map((p) => objectKeys.archive(build.id, p));
  const logs = PLATFORMS.map((p) => objectKeys.log(build.id, p));
  for (const key of archives) await store.put(key, readableFrom(Buffer.alloc(opts.archiveBytes ?? 1000, 1)));
  for (const key of logs) await store.put(key, readableFrom('step 1/1\n'));
  return { id: build.id, archives, logs };
}

export async function exists(store: ObjectStore, keys: string[]): Promise<boolean[]> {
  return Promise.all(keys.map(async (k) => (await store.head(k)) !== null));
}

export function memoryLog(): RetentionLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (_o: object, msg: string) => void lines.push(msg);
  return { lines, info: push, warn: push, error: push };
}
