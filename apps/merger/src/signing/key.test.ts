import type {} from '../../../../test/global-setup.ts';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { runToExit } from '../../../../test/support/run-to-exit.ts';
import { loadMergerEnv } from '../env.ts';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const base = { REDIS_URL: 'redis://127.0.0.1:6379', ARCHWAY_OBJECT_STORE: 'file:///data/objects', HOME: '/nonexistent' };

describe('ARCHWAY_SIGNING_KEY', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  it('reads an ECDSA P-256 PEM key, from the variable or its _FILE', async () => {
    const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const spki = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(loadMergerEnv({ ...base, ARCHWAY_SIGNING_KEY: pem }).signingKey?.publicPem).toBe(spki);
    const dir = await mkdtemp(join(inject('tmpRoot'), 'signing-key-'));
    const file = join(dir, 'key.pem');
    await writeFile(file, ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString());
    expect(loadMergerEnv({ ...base, ARCHWAY_SIGNING_KEY_FILE: file }).signingKey?.publicPem).toBe(spki);
    expect(loadMergerEnv(base).signingKey).toBeUndefined();
  });

  it('refuses a key that is not PEM, not P-256 or encrypted, naming the variable', async () => {
    expect(() => loadMergerEnv({ ...base, ARCHWAY_SIGNING_KEY: 'not a key' })).toThrow(
      'invalid merger configuration:\n  - ARCHWAY_SIGNING_KEY: is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN EC PRIVATE KEY-----")',
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const dir = await mkdtemp(join(inject('tmpRoot'), 'signing-key-'));
    const file = join(dir, 'p384.pem');
    await writeFile(file, p384);
    expect(() => loadMergerEnv({ ...base, ARCHWAY_SIGNING_KEY_FILE: file })).toThrow(
      /ARCHWAY_SIGNING_KEY_FILE: is a ec secp384r1 key; cosign-compatible signing needs ECDSA P-256 \(prime256v1\) \(in .*p384\.pem\)/,
    );
    const encrypted = ec.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    expect(() => loadMergerEnv({ ...base, ARCHWAY_SIGNING_KEY: encrypted })).toThrow('ARCHWAY_SIGNING_KEY: is an encrypted private key');
  });

  it('stops the merger at start-up with exit code 2', async () => {
    const { code, stderr } = await runToExit(MAIN, {
      PATH: process.env.PATH,
      ...base,
      ARCHWAY_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^invalid merger configuration:\n {2}- ARCHWAY_SIGNING_KEY: is not a readable PEM private key/);
  });
});
