import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface TestS3 {
  /** e.g. `http://127.0.0.1:41234` — use with forcePathStyle. */
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver's fixed development credentials (it checks signatures against them). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Environment for createObjectStore(`s3://${bucket}/…`). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const s3rverBin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');

/**
 * Runs a real S3 HTTP server (`s3rver`) as a child process on a free loopback port, storing
 * objects under `dir`, with `bucket` created. A child, not in-process, so its memory and CPU
 * stay out of the test's measurements.
 */
export async function startS3(opts: { dir: string; bucket?: string }): Promise<TestS3> {
  const bucket = opts.bucket ?? 'archway-test';
  await mkdir(opts.dir, { recursive: true });
  // Port 0: s3rver binds a free port and prints it, so there is no race for a port.
  // --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which
  // OpenSSL 3 only offers through the legacy provider (without it, paginated listing fails with 500).
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', s3rverBin, '--silent', '-d', opts.dir, '-a', '127.0.0.1', '-p', '0', '--configure-bucket', bucket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start within 20s: ${output}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = /S3rver listening on [^:\s]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code ?? signal}) before listening: ${output}`));
    });
  });
  // Keep draining output so a chatty server never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    credentials,
    env: {
      ARCHWAY_S3_ENDPOINT: endpoint,
      ARCHWAY_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
