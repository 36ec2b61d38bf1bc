import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrismaClient } from '../../infra/db.ts';
import { generateToken, hashToken } from './tokens.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface EnsureAdminTokenOptions {
  /** Where the generated token is kept (`<dataDir>/admin-token`, mode 0600). */
  dataDir: string;
  /** A token chosen by the operator (ARCHWAY_ADMIN_TOKEN[_FILE]); never written to disk by us. */
  token?: string;
}

/**
 * Makes sure an admin token exists and returns its text, or null when the only admin tokens are
 * ones whose text we do not know (created elsewhere) — then nothing is generated.
 *
 * - With `opts.token`: that token is registered (once) and returned.
 * - Else the token in `<dataDir>/admin-token` is returned while it is registered and not revoked
 *   (re-registered if the database was reset).
 * - Else, when no live admin token exists, a new random one is generated, registered and written
 *   to the file so the start command can print it again.
 */
export async function ensureAdminToken(prisma: PrismaClient, opts: EnsureAdminTokenOptions): Promise<string | null> {
  if (opts.token) {
    await register(prisma, opts.token, 'admin (ARCHWAY_ADMIN_TOKEN)');
    return opts.token;
  }
  const file = join(opts.dataDir, ADMIN_TOKEN_FILE);
  const fromFile = await readTokenFile(file);
  if (fromFile) {
    const row = await prisma.apiToken.findUnique({ where: { hash: hashToken(fromFile) } });
    if (!row) {
      await register(prisma, fromFile, 'admin (generated)');
      return fromFile;
    }
    if (!row.revokedAt) return fromFile;
    // Revoked: fall through and mint a new one if nothing else is live.
  }
  const live = await prisma.apiToken.count({ where: { revokedAt: null, scopes: { has: 'admin' } } });
  if (live > 0) return null;
  const token = generateToken();
  await writeTokenFile(opts.dataDir, file, token);
  await register(prisma, token, 'admin (generated)');
  return token;
}

async function register(prisma: PrismaClient, token: string, name: string): Promise<void> {
  const hash = hashToken(token);
  // upsert keeps a concurrent start (another replica) from failing on the unique hash.
  await prisma.apiToken.upsert({ where: { hash }, create: { name, hash, scopes: ['admin'] }, update: {} });
}

async function readTokenFile(file: string): Promise<string | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text.length > 0 ? text : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the admin token file ${file}: ${(err as Error).message}`);
  }
}

async function writeTokenFile(dataDir: string, file: string, token: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // Created 0600 from the first byte (no window where it is readable), then renamed into place.
  const tmp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600); // the umask cannot widen it, but may have narrowed it oddly
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`cannot write the admin token file ${file}: ${(err as Error).message}`);
  }
}
