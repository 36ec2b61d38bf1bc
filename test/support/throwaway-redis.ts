import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@archway/runtime';

/**
 * Starts `redis-server` with `args` (with `--sentinel` among them: a sentinel) and resolves once it
 * says it is ready; rejects with its last output if it exits first. The one way tests start a Redis
 * of their own (throwawayRedis below, the fault suite's restartable Redis and Sentinel set).
 */
export function startRedisServer(args: string[], ready: RegExp = /Ready to accept connections|Sentinel ID is/): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.stdout!.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server ${args.join(' ')} exited with ${code}:\n${out.slice(-1500)}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** The options of a Redis as BullMQ needs it (docs/redis.md): loopback, AOF in `dir`, no eviction. */
export function queueRedisArgs(port: number, dir: string, extra: string[] = []): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', ...extra];
}

/**
 * A redis-server of one test's own on a free loopback port, for tests that kill it or configure it
 * (the suite's shared Redis must stay up and unchanged). `args`: extra redis-server options.
 */
export async function throwawayRedis(args: string[] = []): Promise<{ url: string; port: number; server: ChildProcess; kill(): Promise<void> }> {
  const port = await freePort();
  const server = await startRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args]);
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  const kill = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  };
  return { url: `redis://127.0.0.1:${port}`, port, server, kill };
}
