import type {} from '../../../../../test/global-setup.ts';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configProblems } from './config-error.ts';
import { bool, bytes, diskSize, duration, integer, oneOf, port, required } from './fields.ts';
import { configVariables, defineConfig, loadConfig } from './load-config.ts';

const spec = defineConfig({
  process: 'test',
  schema: z.object({
    NEEDED: required('(redis://host)'),
    COUNT: integer({ min: 1, max: 8, fallback: 2 }),
    WAIT: duration({ fallback: '5s', min: 1000 }),
    LIMIT: bytes({ fallback: 1024, min: 1024, max: 1024 ** 2 }),
    DISK: diskSize('10%'),
    ON: bool(false),
    MODE: oneOf(['a', 'b', 'c'], 'a'),
    LISTEN: port({}),
    TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  }),
  secrets: ['TOKEN'],
  docs: 'TEST.md',
});

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(spec, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies defaults; empty or blank means unset', () => {
    expect(loadConfig(spec, { NEEDED: 'x', COUNT: '', WAIT: '  ' })).toEqual({
      NEEDED: 'x',
      COUNT: 2,
      WAIT: 5000,
      LIMIT: 1024,
      DISK: { percent: 10 },
      ON: false,
      MODE: 'a',
      LISTEN: undefined,
      TOKEN: undefined,
    });
  });

  it('reads every field type', () => {
    const c = loadConfig(spec, { NEEDED: 'x', COUNT: '8', WAIT: '1h30m', LIMIT: '1MiB', DISK: '2GB', ON: 'Yes', MODE: 'c', LISTEN: '5432' });
    expect(c).toMatchObject({ COUNT: 8, WAIT: 5_400_000, LIMIT: 1024 ** 2, DISK: { bytes: 2e9 }, ON: true, MODE: 'c', LISTEN: 5432 });
    expect(loadConfig(spec, { NEEDED: 'x', WAIT: '1.5h' }).WAIT).toBe(5_400_000);
  });

  it('lists every problem at once, one `  - VAR: problem` line each', () => {
    expect(problems({ COUNT: '9', WAIT: '5', LIMIT: '20%', ON: 'maybe', MODE: 'd', LISTEN: '70000' })).toBe(
      [
        'invalid test configuration:',
        '  - NEEDED: is required (redis://host)',
        '  - COUNT: must be between 1 and 8',
        '  - WAIT: "5" is not a duration: a unit is missing (write 5s, 5m, 5h or 5d); write a duration like 90s, 1.5h, 1h30m or 7d',
        '  - LIMIT: "20%" is not a size: a percentage is not allowed here',
        '  - ON: must be true or false',
        '  - MODE: must be a, b or c',
        '  - LISTEN: must be a port number (1-65535), got "70000"',
      ].join('\n'),
    );
    expect(problems({ NEEDED: 'x', WAIT: '100ms', LIMIT: '2MiB' })).toBe(
      ['invalid test configuration:', '  - WAIT: must be at least 1s (got "100ms")', '  - LIMIT: must be at most 1 MiB (got "2MiB")'].join('\n'),
    );
  });

  it('reads secrets from <NAME>_FILE, names the file in problems, and refuses both at once', async () => {
    const dir = join(inject('tmpRoot'), `config-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'token'), 'from-a-mounted-secret\n');
    await writeFile(join(dir, 'short'), 'abc\n');
    await writeFile(join(dir, 'empty'), '\n');
    expect(loadConfig(spec, { NEEDED: 'x', TOKEN_FILE: join(dir, 'token') }).TOKEN).toBe('from-a-mounted-secret');
    expect(problems({ NEEDED: 'x', TOKEN: 'inline-secret', TOKEN_FILE: join(dir, 'token') })).toContain('  - TOKEN: set TOKEN or TOKEN_FILE, not both');
    expect(problems({ NEEDED: 'x', TOKEN_FILE: join(dir, 'missing') })).toContain(`  - TOKEN_FILE: cannot read ${join(dir, 'missing')}: ENOENT`);
    expect(problems({ NEEDED: 'x', TOKEN_FILE: join(dir, 'empty') })).toContain(`  - TOKEN_FILE: ${join(dir, 'empty')} is empty`);
    const short = problems({ NEEDED: 'x', TOKEN_FILE: join(dir, 'short') });
    expect(short).toContain(`  - TOKEN_FILE: must be at least 8 characters (in ${join(dir, 'short')})`);
    expect(short).not.toContain('abc');
  });

  it('names every variable a spec reads, _FILE variants included', () => {
    expect(configVariables(spec)).toEqual(['COUNT', 'DISK', 'LIMIT', 'LISTEN', 'MODE', 'NEEDED', 'ON', 'TOKEN', 'TOKEN_FILE', 'WAIT']);
  });

  it('turns a failed step into problems under its variable, keeping a ConfigError’s own', () => {
    expect(configProblems(new Error('unsupported'), 'STORE')).toEqual([{ variable: 'STORE', problem: 'unsupported' }]);
    const inner = new ConfigError('object store', [{ variable: 'S3_ENDPOINT', problem: 'bad' }]);
    expect(configProblems(inner, 'STORE')).toEqual([{ variable: 'S3_ENDPOINT', problem: 'bad' }]);
  });
});

describe('exitOnConfigError', () => {
  it('prints the message and the docs pointer, without a stack, and exits 2', async () => {
    const script = fileURLToPath(new URL('./config-error.ts', import.meta.url));
    const code = `import { ConfigError, exitOnConfigError } from ${JSON.stringify(script)};
exitOnConfigError(new ConfigError('demo', [{ variable: 'A', problem: 'is required' }], 'DEMO.md'));
console.log('not reached');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exit = await new Promise<number | null>((r) => child.on('exit', r));
    expect(exit).toBe(2);
    expect(stderr).toBe('invalid demo configuration:\n  - A: is required\nSee DEMO.md.\n');
    expect(stdout).toBe('');
  });
});
