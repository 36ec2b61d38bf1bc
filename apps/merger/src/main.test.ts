import type {} from '../../../test/global-setup.ts';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { testPrefix } from '../../../test/support/redis.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs main.ts with `env`; resolves with its exit code and output once it exits. */
function runMain(env: Record<string, string>, onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
    for (const line of String(d).split('\n')) if (line) onLine(line, child);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

it('starts, consumes the publish queue and stops cleanly on SIGTERM', async () => {
  const home = await mkdtemp(join(inject('tmpRoot'), 'merger-main-'));
  const prefix = testPrefix();
  const { code, output } = await runMain(
    { REDIS_URL: inject('redisUrl'), ARCHWAY_QUEUE_PREFIX: prefix, ARCHWAY_OBJECT_STORE: join(home, 'objects'), HOME: home },
    (line, child) => {
      if (line.includes('"msg":"consuming"')) child.kill('SIGTERM');
    },
  );
  const records = output
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  expect(records.find((r) => r.msg === 'consuming')).toMatchObject({
    level: 'info',
    component: 'merger',
    queue: `${prefix}:publish`,
    concurrency: 2,
    authFile: null,
    insecureRegistries: [],
  });
  expect(records.find((r) => r.msg === 'stopped')).toMatchObject({ component: 'merger' });
  expect(code).toBe(0);
});

it('exits with the configuration error, without a stack trace', async () => {
  const { code, output } = await runMain({ HOME: '/nonexistent' });
  expect(code).toBe(2);
  expect(output.trim()).toBe(
    'invalid merger configuration:\n  - REDIS_URL: is required\n  - ARCHWAY_OBJECT_STORE: is required (file:///absolute/path or s3://bucket/prefix)\nSee apps/merger/ENV.md.',
  );
});
