import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createSecretBox, SecretBoxError } from './secret-box.ts';
import { loadSecretKey, SECRET_KEY_FILE } from './secret-key.ts';

describe('secret box', () => {
  const box = createSecretBox(Buffer.alloc(32, 7));

  it('round-trips, with a fresh nonce each time, and hides the plain text', () => {
    const a = box.seal('ghp_secret-token', 'forge-token');
    const b = box.seal('ghp_secret-token', 'forge-token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('ghp_secret');
    expect(box.open(a, 'forge-token')).toBe('ghp_secret-token');
  });

  it('refuses another key, another purpose and altered values', () => {
    const sealed = box.seal('hook-secret', 'webhook-secret');
    expect(() => createSecretBox(Buffer.alloc(32, 8)).open(sealed, 'webhook-secret')).toThrow(/ARCHWAY_SECRET_KEY differs/);
    expect(() => box.open(sealed, 'forge-token')).toThrow(SecretBoxError);
    const [v, iv, data, tag] = sealed.split(':');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.open([v, iv, flipped.toString('base64url'), tag].join(':'), 'webhook-secret')).toThrow(SecretBoxError);
    expect(() => box.open('plain', 'webhook-secret')).toThrow(/format/);
  });
});

describe('loadSecretKey', () => {
  it('generates <dataDir>/secret-key (0600) once and reads it back', async () => {
    const dir = await mkdtemp(join(inject('tmpRoot'), 'secret-'));
    const first = await loadSecretKey({ env: {}, dataDir: join(dir, 'data') });
    const file = join(dir, 'data', SECRET_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.source).toContain('generated');
    const again = await loadSecretKey({ env: {}, dataDir: join(dir, 'data') });
    expect(again.key.equals(first.key)).toBe(true);
    expect((await readFile(file, 'utf8')).trim().length).toBeGreaterThanOrEqual(32);
  });

  it('takes ARCHWAY_SECRET_KEY or ARCHWAY_SECRET_KEY_FILE, and checks them', async () => {
    const dir = await mkdtemp(join(inject('tmpRoot'), 'secret-'));
    const text = 'x'.repeat(40);
    const inline = await loadSecretKey({ env: { ARCHWAY_SECRET_KEY: text }, dataDir: dir });
    await writeFile(join(dir, 'k'), `${text}\n`);
    const fromFile = await loadSecretKey({ env: { ARCHWAY_SECRET_KEY_FILE: join(dir, 'k') }, dataDir: dir });
    expect(fromFile.key.equals(inline.key)).toBe(true);
    await expect(loadSecretKey({ env: { ARCHWAY_SECRET_KEY: 'short' }, dataDir: dir })).rejects.toThrow(/at least 32 characters/);
    await expect(loadSecretKey({ env: { ARCHWAY_SECRET_KEY: text, ARCHWAY_SECRET_KEY_FILE: 'x' }, dataDir: dir })).rejects.toThrow(/not both/);
    await expect(loadSecretKey({ env: { ARCHWAY_SECRET_KEY_FILE: join(dir, 'missing') }, dataDir: dir })).rejects.toThrow(/cannot read/);
  });
});
