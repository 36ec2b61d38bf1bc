import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type {} from '../../../test/global-setup.ts'; // inject() keys
import { freePort } from '@archway/runtime';
import { BUNDLE_DIR } from './bundle.ts';

const start = fileURLToPath(new URL('./start.ts', import.meta.url));

interface Launcher {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function launch(env: Record<string, string | undefined>): Launcher {
  const child = spawn(process.execPath, ['--import', 'tsx', start], {
    env: { HOME: process.env.HOME, ARCHWAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number, detail = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const up = (l: Launcher) =>
  until('npm start to come up', () => l.out().includes('Archway is up.') || l.child.exitCode !== null, 150_000, l.out).then(() =>
    expect(l.out()).toContain('Archway is up.'),
  );

/** Live processes: pid → command line (arguments joined by spaces) and parent pid. */
async function processes(): Promise<Map<number, { cmdline: string; ppid: number }>> {
  const found = new Map<number, { cmdline: string; ppid: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (!stat || fields[0] === 'Z') continue;
    const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    found.set(Number(name), { cmdline, ppid: Number(fields[1]) });
  }
  return found;
}

/** What the launcher runs: its children by entry point, the redis-server on `redisPort`, the postmaster. */
async function launchedPids(supervisor: number, dataDir: string, redisPort: number): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const [pid, p] of await processes()) {
    for (const app of ['api', 'merger', 'agent']) if (p.ppid === supervisor && p.cmdline.includes(join(BUNDLE_DIR, `${app}.mjs`))) pids[app] = pid;
    if (p.cmdline.startsWith('redis-server') && p.cmdline.includes(`:${redisPort}`)) pids.redis = pid;
  }
  pids.postgres = Number((await readFile(join(dataDir, 'postgres', 'cluster', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  return pids;
}

function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function environment(extra: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(inject('tmpRoot'), 'start-crash-'));
  const [port, redisPort, pgPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = {
    PATH: process.env.PATH,
    ARCHWAY_DATA_DIR: dataDir,
    PORT: String(port),
    ARCHWAY_EMBEDDED_REDIS_PORT: String(redisPort),
    ARCHWAY_EMBEDDED_PG_PORT: String(pgPort),
    ...extra,
  };
  return { dataDir, redisPort, env };
}

/** Stops the second start with Ctrl-C, as a user would; it must exit cleanly. */
async function stopCleanly(l: Launcher): Promise<void> {
  l.child.kill('SIGINT');
  expect(await l.exited).toBe(0);
}

describe('npm start, killed with SIGKILL', () => {
  it('restarts a Redis and a Postgres that died; its children, Redis and Postgres die with it; a second start comes up', { timeout: 300_000 }, async () => {
    const { dataDir, redisPort, env } = await environment();
    const first = launch(env);
    let second: Launcher | undefined;
    try {
      await up(first);
      const before = await launchedPids(first.child.pid!, dataDir, redisPort);
      expect(Object.keys(before).sort()).toEqual(['agent', 'api', 'merger', 'postgres', 'redis']);

      // Redis and Postgres are supervised like the others: killed, they come back on their port
      // with their data (AOF, WAL).
      process.kill(before.redis!, 'SIGKILL');
      process.kill(before.postgres!, 'SIGKILL');
      await until(
        'Redis and Postgres to be restarted',
        () => first.out().includes('[redis] restarted') && first.out().includes('[postgres] restarted'),
        60_000,
        first.out,
      );
      const pids = await launchedPids(first.child.pid!, dataDir, redisPort);
      expect(pids.redis).not.toBe(before.redis);
      expect(pids.postgres).not.toBe(before.postgres);
      expect(running(pids.redis!) && running(pids.postgres!)).toBe(true);
      // The API serves again once they are back.
      await until(
        'the API to be ready again',
        async () => (await fetch(`http://127.0.0.1:${env.PORT}/readyz`).catch(() => null))?.ok === true,
        60_000,
        first.out,
      );

      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      await until(
        'every process of the first start to be gone',
        () => Object.values(pids).every((pid) => !running(pid)),
        30_000,
        () => JSON.stringify(pids),
      );
      expect(Date.now() - killedAt).toBeLessThan(30_000);

      second = launch(env);
      await up(second);
      await stopCleanly(second);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
    }
  });

  it('without setpriv on PATH, a second start stops the API, merger, Redis and Postgres the first left running, and comes up', {
    timeout: 300_000,
  }, async () => {
    // PATH without setpriv: every other program of /usr/bin, /usr/sbin, /bin and /sbin.
    const bin = await mkdtemp(join(inject('tmpRoot'), 'no-setpriv-'));
    for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name !== 'setpriv' && !existsSync(join(bin, name))) await symlink(join(dir, name), join(bin, name));
      }
    }
    await mkdir(bin, { recursive: true });
    const { dataDir, redisPort, env } = await environment({ PATH: bin, ARCHWAY_EMBEDDED_AGENT: 'false' });
    const first = launch(env);
    let second: Launcher | undefined;
    let left: Record<string, number> = {};
    let orphans: number[] = [];
    try {
      await up(first);
      const pids = await launchedPids(first.child.pid!, dataDir, redisPort);
      first.child.kill('SIGKILL');
      await first.exited;
      // Nothing tells them their parent died.
      left = { redis: pids.redis!, postgres: pids.postgres! };
      orphans = [pids.api, pids.merger].filter((pid): pid is number => pid !== undefined);
      expect(orphans).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 1000));
      expect(running(left.redis!) && running(left.postgres!)).toBe(true);
      expect(orphans.every(running)).toBe(true);

      second = launch(env);
      await up(second);
      expect(second.out()).toContain(`redis: stopping the redis-server (pid ${left.redis}) an earlier start left running`);
      expect(second.out()).toContain(`postgres: stopping the postgres (pid ${left.postgres}) an earlier start left running`);
      expect(second.out()).toContain(`api: stopping the api (pid ${pids.api}) an earlier start left running`);
      expect(second.out()).toContain(`merger: stopping the merger (pid ${pids.merger}) an earlier start left running`);
      expect(running(left.redis!) || running(left.postgres!)).toBe(false);
      expect(orphans.some(running)).toBe(false);
      await stopCleanly(second);
    } finally {
      // Without setpriv the second start's children outlive it too, should an assertion fail first.
      const theirs = second?.child.pid ? await launchedPids(second.child.pid, dataDir, redisPort).catch(() => ({}) as Record<string, number>) : {};
      // (Postgres's pid comes from its pid file: only while that process still runs on this data directory.)
      const runsOn = (pid: number) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
        } catch {
          return false;
        }
      };
      const ownPostgres = theirs.postgres && runsOn(theirs.postgres) ? theirs.postgres : undefined;
      const secondChildren = [theirs.api, theirs.merger, theirs.redis, ownPostgres].filter((pid): pid is number => pid !== undefined);
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      for (const pid of [...Object.values(left), ...orphans, ...secondChildren]) if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
