import { randomUUID } from 'node:crypto';
import { isFinalBuildStatus, type Build } from '@archway/contract';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTRY_POINTS, supervise, type Supervised } from '../../apps/launcher/src/children.ts';
import { freePort } from '@archway/runtime';

export interface StackOptions {
  root: string;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  registryHost: string;
  /** Platforms to start an agent for (each with its own data dir). */
  agents: string[];
  env?: Record<string, string>;
}

export interface Stack {
  url: string;
  token: string;
  objectStoreDir: string;
  output: string[];
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Polls the build until it is succeeded, failed or canceled; the error shows the stack's output. */
  waitForFinal(id: string, timeoutMs?: number): Promise<Build>;
  /** Stops one agent (SIGTERM) — for failure tests. */
  agents: Map<string, Supervised>;
  /** The API and merger processes (supervised: restarted when they die) — for fault tests. */
  processes: { api: Supervised; merger: Supervised };
  stop(): Promise<void>;
}

/**
 * The real system as separate processes — API, merger and one agent per platform — wired to the
 * suite's Redis, Postgres and registry, exactly as `npm start` wires them.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const port = await freePort();
  const token = `arch_test_${opts.prefix}_${randomUUID()}`;
  const objectStoreDir = join(opts.root, 'objects');
  await mkdir(objectStoreDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    ARCHWAY_QUEUE_PREFIX: opts.prefix,
    // The stack's tests build file:// repositories; an admin setting, so the fixture says it explicitly.
    ARCHWAY_ALLOW_LOCAL_SOURCES: 'true',
    ARCHWAY_OBJECT_STORE: `file://${objectStoreDir}`,
    ARCHWAY_DATA_DIR: join(opts.root, 'data'),
    ARCHWAY_ADMIN_TOKEN: token,
    ARCHWAY_INSECURE_REGISTRIES: opts.registryHost,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...opts.env,
  };
  const output: string[] = [];
  const log = (line: string) => output.push(line);
  const processes = { api: supervise('api', ENTRY_POINTS.api, env, log), merger: supervise('merger', ENTRY_POINTS.merger, env, log) };
  const procs: Supervised[] = [processes.api, processes.merger];
  const agents = new Map<string, Supervised>();
  for (const platform of opts.agents) {
    const slug = platform.replace(/\//g, '-');
    const agent = supervise(
      `agent-${slug}`,
      ENTRY_POINTS.agent,
      { ...env, ARCHWAY_AGENT_PLATFORM: platform, ARCHWAY_AGENT_DATA_DIR: join(opts.root, `agent-${slug}`), ARCHWAY_AGENT_ID: `test-${slug}` },
      log,
    );
    agents.set(platform, agent);
    procs.push(agent);
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await Promise.allSettled(procs.map((p) => p.stop())); // leave nothing running behind a failure
      throw new Error(`stack did not become ready:\n${output.slice(-40).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const api: Stack['api'] = (path, init = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
    });
  return {
    url,
    token,
    objectStoreDir,
    output,
    agents,
    processes,
    api,
    waitForFinal: async (id, timeoutMs = 180_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // An API that is down or restarting (fault tests) answers nothing or 503 for a while.
        const res = await api(`/api/v1/builds/${id}`).catch(() => undefined);
        const build = res?.ok ? ((await res.json()) as Build) : undefined;
        if (build && isFinalBuildStatus(build.status)) return build;
        if (Date.now() > deadline)
          throw new Error(`build ${id} still ${build?.status ?? `unknown (API answered ${res?.status ?? 'nothing'})`}:\n${output.slice(-60).join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: async () => {
      await Promise.allSettled(procs.map((p) => p.stop()));
    },
  };
}
