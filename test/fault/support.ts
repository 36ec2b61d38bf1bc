/**
 * The fault suite's tools: a Redis of its own that a test can kill and restart (with or without
 * its AOF), a build that runs long enough for a fault to land in the middle of it, and the checks
 * every fault test ends with (a final state, no partial tag, how long recovery took).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@archway/runtime';
import type { Build } from '@archway/contract';
import type { Stack } from '../harness/stack.ts';
import { queueRedisArgs, startRedisServer } from '../support/throwaway-redis.ts';

const run = promisify(execFile);

export interface OwnRedis {
  url: string;
  /** SIGKILL, as a crash or an OOM kill does. */
  kill(): Promise<void>;
  /** Starts it again on the same port; `lose` empties its data directory first (data lost). */
  restart(opts?: { lose?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    await mkdir(dir, { recursive: true });
    // appendfsync always: a SIGKILL loses nothing that was acknowledged.
    child = await startRedisServer(queueRedisArgs(port, dir, ['--appendfsync', 'always']));
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async (opts = {}) => {
      await kill();
      if (opts.lose) await rm(dir, { recursive: true, force: true });
      await start();
    },
    stop: kill,
  };
}

/** A Containerfile whose RUN step takes a few seconds, so that a fault lands while it runs. */
export function slowRepoFiles(seconds: number): Record<string, string | { copyFrom: string }> {
  return {
    Containerfile: `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo fault-test-running; /bin/busybox sleep ${seconds}; echo fault-test-done"]\nCOPY hello.txt /hello.txt\n`,
    busybox: { copyFrom: '/bin/busybox' },
    'hello.txt': `built at ${new Date().toISOString()} ${Math.random()}\n`,
  };
}

export async function submitBuild(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await stack.api('/api/v1/builds', { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /api/v1/builds answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Polls the build (through the API) until every task is running; tolerates an API that is down. */
export async function waitForRunning(stack: Stack, id: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const build = await stack
      .api(`/api/v1/builds/${id}`)
      .then((r) => (r.ok ? (r.json() as Promise<Build>) : undefined))
      .catch(() => undefined);
    // No tasks yet while the build is resolving: every() of none is not "all running".
    if (build && build.tasks.length > 0 && build.tasks.every((t) => t.status === 'running')) return;
    if (Date.now() > deadline) throw new Error(`build ${id} never had all tasks running:\n${stack.output.slice(-40).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True when `image:tag` exists in the registry. */
export async function tagExists(ref: string): Promise<boolean> {
  try {
    await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
    return true;
  } catch {
    return false;
  }
}

/** The tags of a repository in the registry (none when the repository does not exist). */
export async function listTags(registry: string, repository: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export const DATA_DIR = (root: string, name: string) => join(root, name);
