import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { runToExit } from '../testing/run-to-exit.ts';

const start = fileURLToPath(new URL('./start.ts', import.meta.url));

describe('npm start (embedded/start.ts)', () => {
  it('refuses a port that is not a number, with exit code 2, before starting anything', async () => {
    const dataDir = join(await mkdtemp(join(inject('tmpRoot'), 'start-')), 'data');
    const { code, stderr } = await runToExit(start, { PATH: process.env.PATH, ARCHWAY_DATA_DIR: dataDir, ARCHWAY_EMBEDDED_PG_PORT: 'fivefourthreetwo' });
    expect(code).toBe(2);
    expect(stderr).toContain('archway: ARCHWAY_EMBEDDED_PG_PORT must be a port number (1-65535), got "fivefourthreetwo"');
    expect(existsSync(dataDir)).toBe(false);
  });
});
