import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { freePort, withParentDeathSignal } from '@archway/runtime';
import { keepRunning } from './keep-running.ts';
import { alive, describeProcess, stopProcess } from './leftover.ts';

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

export interface RedisOptions {
  dir: string;
  port?: number;
  binary?: string;
  /** `maxmemory` (e.g. `1gb`); unset: no limit. The policy is always `noeviction` (BullMQ's queues must never be evicted). */
  maxmemory?: string;
  /** Restart it (same port, same AOF) when it dies on its own, logging through `log`. */
  restart?: boolean;
  log?: (line: string) => void;
}

/**
 * Starts `redis-server` from PATH as a child, persisting with AOF under `dir`, bound to loopback.
 * Resolves once it accepts connections. It gets SIGTERM when this process dies, however it dies
 * (setpriv's parent-death signal; Redis then writes its AOF and exits); a Redis an earlier,
 * SIGKILLed start left on `dir` without that (its working directory is `dir`) is stopped first.
 */
export async function startRedis(opts: RedisOptions): Promise<EmbeddedRedis> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  await stopLeftoverRedis(dir, opts.log);
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'yes');
  args.push('--maxmemory-policy', 'noeviction', '--maxmemory', opts.maxmemory ?? '0');
  const run = withParentDeathSignal(opts.binary ?? 'redis-server', args, 'SIGTERM');

  const first = await spawnReady(run.cmd, run.args);
  const kept = keepRunning({ name: 'redis', first, start: () => spawnReady(run.cmd, run.args), signal: 'SIGTERM', restart: opts.restart, log: opts.log });
  return { url: `redis://127.0.0.1:${port}`, stop: kept.stop };
}

function spawnReady(cmd: string, args: string[]): Promise<ChildProcess> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<ChildProcess>((ready, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        child.off('exit', onEarlyExit);
        ready(child);
      }
    };
    const onEarlyExit = (code: number | null) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${out.slice(-2000)}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error('redis-server not found on PATH: install it (apt-get install redis-server) or set REDIS_URL')
          : err,
      ),
    );
    child.once('exit', onEarlyExit);
  });
}

/** A redis-server still running on `dir` (its working directory): stop it, so the AOF is complete and ours alone. */
async function stopLeftoverRedis(dir: string, log?: (line: string) => void): Promise<void> {
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const proc = await describeProcess(pid);
    if (!proc?.cmdline.startsWith('redis-server') || proc.cwd !== dir || !alive(pid)) continue;
    log?.(`redis: stopping the redis-server (pid ${pid}) an earlier start left running on ${dir}`);
    await stopProcess(pid, 'SIGTERM', 30_000);
  }
}
