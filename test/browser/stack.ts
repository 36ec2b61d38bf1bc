import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@archway/runtime';
import { startRegistry, type TestRegistry } from '../harness/registry.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SUPERVISOR = join(REPO, 'apps/launcher/src/start.ts');
const AGENT = join(REPO, 'apps/agent/src/main.ts');

export interface Stack {
  url: string;
  token: string;
  registryHost: string;
  /** Root for fixtures (git repos) that the agents can read. */
  tmp: string;
  /** Everything the stack printed, for failure reports. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The real stack for browser tests: `npm start`'s supervisor (embedded Postgres and Redis, the
 * API serving the built dashboard, the merger, a native linux/amd64 agent) plus a linux/arm64
 * agent and a docker-registry to publish to. Or, with ARCHWAY_E2E_URL and ARCHWAY_E2E_TOKEN, a
 * stack that is already running (then ARCHWAY_E2E_REGISTRY names its registry).
 */
export async function startStack(): Promise<Stack> {
  const tmp = await mkdtemp(join(tmpdir(), 'archway-e2e-'));
  if (process.env.ARCHWAY_E2E_URL && process.env.ARCHWAY_E2E_TOKEN) {
    return {
      url: process.env.ARCHWAY_E2E_URL.replace(/\/+$/, ''),
      token: process.env.ARCHWAY_E2E_TOKEN,
      registryHost: process.env.ARCHWAY_E2E_REGISTRY ?? '127.0.0.1:5000',
      tmp,
      output: () => '',
      stop: () => rm(tmp, { recursive: true, force: true }),
    };
  }

  let out = '';
  const children: ChildProcess[] = [];
  let registry: TestRegistry | undefined;
  const stop = async () => {
    // Only the processes started here, by their own handles; the supervisor stops its children.
    await Promise.allSettled(children.reverse().map((c) => stopChild(c)));
    await registry?.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    registry = await startRegistry({ dir: join(tmp, 'registry') });
    const [port, redisPort] = await Promise.all([freePort(), freePort()]);
    const dataDir = join(tmp, 'data');
    const token = `e2e_${randomBytes(24).toString('base64url')}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      ARCHWAY_DATA_DIR: dataDir,
      ARCHWAY_ADMIN_TOKEN: token,
      ARCHWAY_EMBEDDED_REDIS_PORT: String(redisPort),
      ARCHWAY_INSECURE_REGISTRIES: registry.host,
      ARCHWAY_AGENT_PLATFORM: 'linux/amd64',
      ARCHWAY_AGENT_ID: 'e2e-amd64',
      ARCHWAY_LOG_LEVEL: 'warn',
    };
    const log = (name: string) => (d: Buffer) => (out += d.toString().replace(/^(?=.)/gm, `[${name}] `));
    const supervisor = spawn(process.execPath, ['--import', 'tsx', SUPERVISOR], { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(supervisor);
    supervisor.stdout!.on('data', log('stack'));
    supervisor.stderr!.on('data', log('stack'));
    const url = `http://127.0.0.1:${port}`;
    await until(
      async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok === true,
      'the API to be ready',
      180_000,
      () => supervisor.exitCode !== null,
    );

    const arm = spawn(process.execPath, ['--import', 'tsx', AGENT], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        ARCHWAY_OBJECT_STORE: `file://${join(dataDir, 'objects')}`,
        ARCHWAY_AGENT_PLATFORM: 'linux/arm64',
        ARCHWAY_AGENT_ID: 'e2e-arm64',
        ARCHWAY_AGENT_DATA_DIR: join(tmp, 'agent-arm64'),
      },
    });
    children.push(arm);
    arm.stdout!.on('data', log('agent-arm64'));
    arm.stderr!.on('data', log('agent-arm64'));
    // Both agents must be heartbeating before builds are started (else the queue just waits).
    await until(
      async () => {
        const res = await fetch(`${url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { items: { platform: string; state: string }[] };
        return ['linux/amd64', 'linux/arm64'].every((p) => body.items.some((a) => a.platform === p && a.state !== 'lost'));
      },
      'both agents to report',
      120_000,
    );
    return { url, token, registryHost: registry.host, tmp, output: () => out, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- stack output ---\n${out.slice(-6000)}`);
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number, dead?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (dead?.()) throw new Error(`gave up waiting for ${what}: the process exited`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
