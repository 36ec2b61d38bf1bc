import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type {} from '../global-setup.ts';
import { throwawayRedis } from '../support/throwaway-redis.ts';

const entry = (app: string) => fileURLToPath(new URL(`../../apps/${app}/src/main.ts`, import.meta.url));
const REFUSAL =
  "Redis has maxmemory-policy allkeys-lru: it may evict BullMQ's jobs and locks, leaving builds that never end. Set maxmemory-policy noeviction (docs/redis.md), or ARCHWAY_REDIS_ALLOW_EVICTION=true to run anyway.";

describe('a Redis that may evict queue data (maxmemory-policy allkeys-lru)', () => {
  let redis: Awaited<ReturnType<typeof throwawayRedis>>;
  beforeAll(async () => {
    redis = await throwawayRedis(['--maxmemory-policy', 'allkeys-lru']);
  });
  afterAll(() => redis?.kill());

  it.each(['api', 'merger', 'agent'])('is refused by the %s at start, with exit code 2 and what to do', async (app) => {
    const dir = await mkdtemp(join(inject('tmpRoot'), `eviction-${app}-`));
    const { code, stdout, stderr } = await runToExit(entry(app), {
      PATH: process.env.PATH,
      HOME: dir,
      REDIS_URL: redis.url,
      // Postgres is never reached: the API checks Redis first.
      DATABASE_URL: 'postgresql://x:y@127.0.0.1:1/none',
      ARCHWAY_DATA_DIR: join(dir, 'data'),
      ARCHWAY_OBJECT_STORE: `file://${join(dir, 'objects')}`,
      ARCHWAY_AGENT_DATA_DIR: join(dir, 'agent'),
    });
    expect(code).toBe(2);
    if (app === 'merger') {
      // The merger says it through its logger: a JSON record on stdout.
      expect(logRecords(stdout)).toContainEqual(
        expect.objectContaining({ component: 'merger', level: 'error', msg: 'failed to start', err: expect.stringContaining(REFUSAL) }),
      );
    } else {
      expect(stderr).toContain(REFUSAL);
    }
  });
});

/** Runs a TypeScript entry point (`node --import tsx`) with exactly `env` until it exits; both streams. */
function runToExit(entry: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The JSON log records in `text`, one a line; other lines are skipped. */
function logRecords(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    try {
      const record: unknown = JSON.parse(line);
      return record !== null && typeof record === 'object' ? [record as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
