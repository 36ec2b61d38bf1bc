import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Repo } from '@archway/contract';
import type { Redis } from 'ioredis';
import { FsObjectStore } from '@archway/runtime';
import { createTestDatabase } from '../../../../test/support/db.ts';
import { testPrefix } from '../../../../test/support/redis.ts';
import { waitFor } from '../../../../test/support/wait.ts';
export { waitFor };
import { buildApp } from '../app.ts';
import { createToken } from '../http/auth/tokens.ts';
import { createPrisma, type PrismaClient } from '../infra/db.ts';
import type { AppDeps } from '../deps.ts';
import { createQueues, type Queues } from '../infra/queue/queues.ts';
import { createRedis, redisReady } from '../infra/queue/redis.ts';
import { checkResponses } from './response-check.ts';
import { startRecorder } from '../workers/recorder/recorder.ts';
import { startResolver } from '../workers/resolver/index.ts';

/**
 * A real API on a fresh database and Redis prefix, with an admin token and, as in the API process,
 * the recorder (the only writer of build state: a cancel waits for it) and the resolver (accepted
 * builds → queued or failed). Close it in afterAll.
 */
export interface ApiFixture {
  app: FastifyInstance;
  prisma: PrismaClient;
  redis: Redis;
  queues: Queues;
  prefix: string;
  objectStore: FsObjectStore;
  deps: AppDeps;
  token: string;
  /** `{ authorization: 'Bearer <admin token>' }` */
  auth: Record<string, string>;
  tmp: string;
  /** Answers that did not match the OpenAPI document (see response-check.ts); close() fails on any. */
  openapiMismatches: string[];
  close(): Promise<void>;
}

export async function apiFixture(overrides: Partial<AppDeps> = {}, opts: { recorder?: boolean; resolver?: boolean } = {}): Promise<ApiFixture> {
  // A given client (loggingPrisma) must be on a database of its own (createTestDatabase).
  const prisma = overrides.prisma ?? createPrisma(await createTestDatabase());
  const prefix = testPrefix();
  const redis = createRedis(inject('redisUrl'), 'archway-api-test');
  await redisReady(redis);
  const tmp = await mkdtemp(join(inject('tmpRoot'), 'api-'));
  const objectStore = new FsObjectStore(join(tmp, 'objects'));
  const queues = createQueues(redis, prefix);
  const deps: AppDeps = {
    prisma,
    redis,
    queues,
    prefix,
    objectStore,
    publicUrl: 'http://archway.test',
    bodyLimit: 1024 * 1024,
    ...overrides,
  };
  const openapiMismatches: string[] = [];
  const app = await buildApp(deps, { setup: (a) => checkResponses(a, openapiMismatches) });
  const recorder = opts.recorder === false ? undefined : startRecorder({ prisma, redis, prefix, blockMs: 500 });
  const resolver = opts.resolver === false ? undefined : startResolver(deps);
  const { token } = await createToken(prisma, 'test admin', ['admin']);
  return {
    app,
    prisma,
    redis,
    queues,
    prefix,
    objectStore,
    deps,
    token,
    auth: { authorization: `Bearer ${token}` },
    tmp,
    openapiMismatches,
    async close() {
      await app.close();
      await resolver?.close();
      await recorder?.close();
      await queues.close();
      redis.disconnect();
      await prisma.$disconnect();
      await rm(tmp, { recursive: true, force: true });
      if (openapiMismatches.length > 0) {
        throw new Error(`${openapiMismatches.length} answer(s) did not match /api/v1/openapi.json:\n${openapiMismatches.join('\n')}`);
      }
    },
  };
}

/** A real git repository with one commit (a Containerfile) on `main`, reachable as file://. */
export async function makeGitRepo(root: string, name = 'repo'): Promise<{ dir: string; url: string; commit: string }> {
  const dir = await mkdtemp(join(root, `${name}-`));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  await writeFile(join(dir, 'Containerfile'), 'FROM scratch\nCOPY hello /hello\n');
  await writeFile(join(dir, 'hello'), 'hello\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  git('tag', '-a', 'v1.0', '-m', 'v1.0');
  return { dir, url: `file://${dir}`, commit: git('rev-parse', 'HEAD') };
}

/** POSTs `count` REST builds (`push: false`) of a fresh repository for `platforms`; they stay queued (no agent). */
export async function queueBuilds(f: ApiFixture, platforms: string[], count: number): Promise<void> {
  const repo = await makeGitRepo(f.tmp);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url: repo.url }, push: false, platforms } });
    if (res.statusCode !== 202) throw new Error(`POST /api/v1/builds answered ${res.statusCode}: ${res.body}`);
    ids.push(res.json().id as string);
  }
  for (const id of ids) await resolved(f, id);
}

/** Waits until the resolver moved an accepted build out of `resolving`; returns the build with its tasks. */
export async function resolved(f: Pick<ApiFixture, 'prisma'>, id: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const b = await f.prisma.build.findUnique({ where: { id }, include: { tasks: true } });
      return b && b.status !== 'resolving' ? b : undefined;
    },
    `build ${id} resolved`,
    timeoutMs,
  );
}

/** Registers a repository through the API (201 expected); answers it with its one-time webhook secret. */
export async function registerRepo(f: ApiFixture, payload: Record<string, unknown>): Promise<Repo & { webhookSecret: string }> {
  const res = await f.app.inject({ method: 'POST', url: '/api/v1/repos', headers: f.auth, payload });
  if (res.statusCode !== 201) throw new Error(`registering ${String(payload.fullName)} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}
