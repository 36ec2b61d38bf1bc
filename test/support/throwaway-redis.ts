import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@archway/runtime';

/**
 * A redis-server of one test's own on a free loopback port, for tests that kill it or configure it
 * (the suite's shared Redis must stay up and unchanged). `args`: extra redis-server options.
 */
export async function throwawayRedis(args: string[] = []): Promise<{ url: string; port: number; server: ChildProcess; kill(): Promise<void> }> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 15_000;
  while (!out.includes('Ready to accept connections')) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  server.stdout!.resume();
  const kill = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  };
  return { url: `redis://127.0.0.1:${port}`, port, server, kill };
}
