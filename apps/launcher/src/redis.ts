import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { freePort } from '@archway/runtime';

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` from PATH as a child, persisting with AOF under `dir`, bound to loopback.
 * Resolves once it accepts connections.
 */
export async function startRedis(opts: { dir: string; port?: number; binary?: string }): Promise<EmbeddedRedis> {
  await mkdir(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    opts.binary ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', opts.dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes', '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', (err) =>
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('redis-server not found on PATH: install it (apt-get install redis-server) or set REDIS_URL') : err),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${out.slice(-2000)}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  // Whatever way this process ends, Redis must not outlive it: a second one on the same AOF
  // directory (the next start) would write the same files.
  const onExit = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', onExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
