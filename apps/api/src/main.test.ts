import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.ts';
import { testPrefix } from '../../../test/support/redis.ts';
import { freePort } from '@archway/runtime';
import { waitFor } from './testing/fixture.ts';
import { runToExit } from '../../../test/support/run-to-exit.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('main.ts', () => {
  it('starts from the environment, prints no secret, serves with the generated admin token, stops on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'main-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...process.env,
        DATABASE_URL: await createTestDatabase(),
        REDIS_URL: inject('redisUrl'),
        ARCHWAY_QUEUE_PREFIX: testPrefix(),
        ARCHWAY_DATA_DIR: dataDir,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok, `readyz (output: ${output})`, 60_000);
      const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
      const list = await fetch(`${url}/api/v1/builds`, { headers: { authorization: `Bearer ${token}` } });
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual({ items: [], nextCursor: null });
      expect((await fetch(`${url}/api/v1/builds`)).status).toBe(401);
      expect(output).toContain('Archway API ready');
      expect(output).not.toContain(token);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('shutting down');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits with the variable named when the configuration is wrong', async () => {
    const { code, stderr } = await runToExit(main, { PATH: process.env.PATH, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(2);
    expect(stderr).toContain('invalid API configuration:\n  - DATABASE_URL: is required');
    expect(stderr).toContain('See apps/api/ENV.md.');
  });

  it.each([
    ['a retention duration', { ARCHWAY_RETAIN_LOGS: 'forever' }, '  - ARCHWAY_RETAIN_LOGS: "forever" is not a duration'],
    ['a reconciler bound', { ARCHWAY_QUEUE_WAIT_LIMIT: 'a day' }, '  - ARCHWAY_QUEUE_WAIT_LIMIT: "a day" is not a duration'],
    ['a secret key', { ARCHWAY_SECRET_KEY: 'short' }, 'ARCHWAY_SECRET_KEY: the secret key must be at least 32 characters'],
  ])('exits 2, before connecting to anything, on %s that a restart cannot fix', async (_what, bad, message) => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'main-bad-'));
    const { code, stderr } = await runToExit(main, {
      PATH: process.env.PATH,
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgresql://x:y@127.0.0.1:1/none',
      ARCHWAY_DATA_DIR: dataDir,
      ...bad,
    });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('cannot reach');
  });
});
