import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineConfig, loadConfig, writeKeyFile } from '@archway/runtime';

export const SECRET_KEY_FILE = 'secret-key';
const MIN_LENGTH = 32;

const TOO_SHORT = `the secret key must be at least ${MIN_LENGTH} characters (try: openssl rand -base64 32)`;

/** ARCHWAY_SECRET_KEY (or ARCHWAY_SECRET_KEY_FILE); part of the API's configuration (env.ts). */
export const SecretKeyEnv = z.object({
  ARCHWAY_SECRET_KEY: z
    .string()
    .refine((v) => v.trim().length >= MIN_LENGTH, TOO_SHORT)
    .optional(),
});
export const secretKeyConfig = defineConfig({ process: 'API', schema: SecretKeyEnv, secrets: ['ARCHWAY_SECRET_KEY'], docs: 'apps/api/ENV.md' });

export interface SecretKeyOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a generated key is kept when neither variable is set (`<dataDir>/secret-key`, 0600). */
  dataDir: string;
}

export interface LoadedSecretKey {
  key: Buffer;
  /** Where it came from, for the start log line (never the key itself). */
  source: string;
}

/**
 * The key that seals stored secrets: ARCHWAY_SECRET_KEY, or the file ARCHWAY_SECRET_KEY_FILE names
 * (Kubernetes secrets), or `<dataDir>/secret-key`, generated on first start. Any text of at least
 * 32 characters works (`openssl rand -base64 32`); the AES key is its SHA-256.
 */
export async function loadSecretKey(opts: SecretKeyOptions): Promise<LoadedSecretKey> {
  const env = opts.env ?? process.env;
  const text = loadConfig(secretKeyConfig, env).ARCHWAY_SECRET_KEY;
  if (text !== undefined) {
    const file = env.ARCHWAY_SECRET_KEY_FILE?.trim();
    return { key: derive(file ? `ARCHWAY_SECRET_KEY_FILE (${file})` : 'ARCHWAY_SECRET_KEY', text), source: file || 'ARCHWAY_SECRET_KEY' };
  }
  const path = join(opts.dataDir, SECRET_KEY_FILE);
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`cannot read the secret key file ${path}: ${err.message}`);
  });
  if (existing !== undefined) return { key: derive(path, existing), source: path };
  const generated = randomBytes(32).toString('base64');
  await writeKeyFile(opts.dataDir, path, generated);
  // Another replica may have won the race: whatever is in the file now is the key.
  return { key: derive(path, await readFile(path, 'utf8')), source: `${path} (generated)` };
}

function derive(name: string, text: string): Buffer {
  const value = text.trim();
  if (value.length < MIN_LENGTH) throw new Error(`${name}: ${TOO_SHORT}`);
  return createHash('sha256').update(value, 'utf8').digest();
}
