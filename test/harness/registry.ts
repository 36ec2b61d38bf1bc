import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@archway/runtime';

export interface TestRegistry {
  /** host:port, e.g. `127.0.0.1:5000`. */
  host: string;
  /** The registry process, for benchmarks that read its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs Debian's `docker-registry` (distribution v2) on a loopback port with storage under `dir`.
 * `extraConfig` is appended to the YAML (auth, tls).
 */
export async function startRegistry(opts: {
  dir: string;
  extraConfig?: string;
  tls?: { cert: string; key: string };
  /** The whole config instead (a shipped one, rewritten for this port and data dir). */
  config?: (addr: string, dataDir: string) => string;
}): Promise<TestRegistry> {
  await mkdir(opts.dir, { recursive: true });
  const port = await freePort();
  const tls = opts.tls ? `\n  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}` : '';
  const config = opts.config
    ? opts.config(`127.0.0.1:${port}`, join(opts.dir, 'data'))
    : `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${join(opts.dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}${tls}
${opts.extraConfig ?? ''}
`;
  const configPath = join(opts.dir, 'config.yml');
  await writeFile(configPath, config);
  const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const scheme = opts.tls ? 'https' : 'http';
  const deadline = Date.now() + 15_000;
  // Poll /v2/ until it answers: the registry prints nothing reliable when it is ready.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${output}`);
    try {
      const status = await probe(scheme, port);
      if (status === 200 || status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        // Stopped already (a test that stops a registry on purpose, then its afterAll): exitCode stays null after a signal.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** GET /v2/ status. Readiness only: a TLS registry's test certificate is not verified here. */
function probe(scheme: 'http' | 'https', port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (scheme === 'https' ? httpsRequest : httpRequest)({ host: '127.0.0.1', port, path: '/v2/', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
