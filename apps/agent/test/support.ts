import { readFileSync } from 'node:fs';
/**
 * Test helpers for the agent: real git repositories in temp dirs, agent configs with separate
 * data dirs, a BullMQ queue on a unique prefix, and readers for the events/log streams.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import type {} from '../../../test/global-setup.ts'; // inject() keys
import { BuildEvent, buildQueueName, JOB_CATALOG, parsePlatform, type BuildJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { loadConfig, type AgentConfig } from '../src/env.ts';

export type RepoFile = string | { symlink: string } | { copy: string };

/** A git repository with one commit holding `files`; returns its file:// URL and commit. */
export async function makeRepo(files: Record<string, RepoFile>): Promise<{ dir: string; url: string; commit: string }> {
  const dir = await mkdtemp(join(inject('tmpRoot'), 'repo-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else if ('symlink' in content) symlinkSync(content.symlink, full);
    else copyFileSync(content.copy, full);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=test@example.com', '-c', 'user.name=test', 'commit', '-qm', 'test');
  return { dir, url: `file://${dir}`, commit: git('rev-parse', 'HEAD') };
}

export const BUSYBOX = '/bin/busybox';

/** A config as loadConfig makes it from the environment, with a fresh data dir; `env` overrides. */
export async function agentConfig(prefix: string, platform: string, storeDir: string, env: Record<string, string> = {}): Promise<AgentConfig> {
  const dataDir = await mkdtemp(join(inject('tmpRoot'), `agent-${platform.replace(/\//g, '-')}-`));
  return loadConfig({
    REDIS_URL: inject('redisUrl'),
    ARCHWAY_QUEUE_PREFIX: prefix,
    ARCHWAY_OBJECT_STORE: `file://${storeDir}`,
    ARCHWAY_AGENT_PLATFORM: platform,
    ARCHWAY_AGENT_DATA_DIR: dataDir,
    ARCHWAY_AGENT_ID: `test-${platform.replace(/\//g, '-')}`,
    ...env,
  });
}

let seq = 0;
/** The platform most tests build (the test machines' own). */
export const LINUX_AMD64 = parsePlatform('linux/amd64');

/** A job as the API enqueues it; `platform` in any spelling (the job schema normalises it). */
export function buildJob(platform: string, repo: { url: string; commit: string }, extra: Partial<BuildJob> = {}): BuildJob {
  seq++;
  return {
    buildId: `b${seq}-${Date.now()}`,
    taskId: `t${seq}-${Date.now()}`,
    platform: parsePlatform(platform),
    source: { url: repo.url, ref: 'main', commit: repo.commit },
    context: '.',
    buildArgs: {},
    ...extra,
  };
}

/** Enqueues like the API does: jobId = taskId, attempts/backoff from the job catalog; `opts` overrides. */
export async function enqueue(queue: Queue, job: BuildJob, opts: JobsOptions = {}): Promise<Job> {
  return queue.add('build', job, {
    jobId: job.taskId,
    attempts: JOB_CATALOG.build.attempts,
    backoff: { type: 'fixed', delay: JOB_CATALOG.build.backoffMs },
    ...opts,
  });
}

export function buildQueue(prefix: string, platform: string): Queue {
  return new Queue(buildQueueName(parsePlatform(platform)), { connection: { url: inject('redisUrl') }, prefix });
}

/** Polls until the job is completed or failed (BullMQ state), with a deadline. */
export async function waitForFinished(queue: Queue, jobId: string, timeoutMs = 90_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    // Re-read after the state is final: the first read may predate the return value/reason.
    if (job && (state === 'completed' || state === 'failed')) return (await queue.getJob(jobId))!;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function readEvents(redis: Redis, prefix: string, taskId?: string): Promise<BuildEvent[]> {
  const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
  const events = entries.map(([, fields]) => BuildEvent.parse(JSON.parse(fields[fields.indexOf('e') + 1]!)));
  return taskId ? events.filter((e) => 'taskId' in e && e.taskId === taskId) : events;
}

export interface LogEntry {
  line?: string;
  attempt: number;
  end: boolean;
}

export async function readLog(redis: Redis, prefix: string, taskId: string): Promise<LogEntry[]> {
  const entries = await redis.xrange(redisKeys(prefix).log(taskId), '-', '+');
  return entries.map(([, f]) => {
    const get = (k: string) => (f.indexOf(k) >= 0 ? f[f.indexOf(k) + 1] : undefined);
    return { line: get('l'), attempt: Number(get('a')), end: get('end') === '1' };
  });
}

/** Polls `check` until it returns a truthy value, with a deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 60_000): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, null | undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AgentProcess {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Runs the agent's real entry point (`main.ts`) as a child process with only `env` (and PATH/HOME). */
export function spawnAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

/** Running (not gone, not a zombie waiting to be reaped by whoever adopted it). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every file of a tar (small test archives only). */
export async function tarFiles(data: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    buffer(stream).then((b) => {
      files.set(header.name, b);
      next();
    }, next);
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([data]).pipe(extract);
  });
  return files;
}
