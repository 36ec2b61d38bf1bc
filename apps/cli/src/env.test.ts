import { describe, expect, it } from 'vitest';
import { main } from './main.ts';

/** Collects what the CLI prints. */
function output() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) } };
}

describe('the CLI configuration', () => {
  it('refuses a bad ARCHWAY_URL in the common format, exit code 2, before any request', async () => {
    const a = output();
    expect(await main(['status', 'x'], { ARCHWAY_URL: 'ftp://ci.example.com', ARCHWAY_TOKEN: 'arch_t' }, a.o)).toBe(2);
    expect(a.err.join('\n')).toBe('archway: invalid CLI configuration:\n  - ARCHWAY_URL: must be an http:// or https:// URL');
  });

  it('treats an empty ARCHWAY_TOKEN as unset', async () => {
    const a = output();
    expect(await main(['status', 'x'], { ARCHWAY_TOKEN: '' }, a.o)).toBe(2);
    expect(a.err[0]).toMatch(/^archway: no API token: set ARCHWAY_TOKEN or pass --token/);
  });
});
