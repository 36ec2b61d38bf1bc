import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { createPrisma, type PrismaClient } from '../../infra/db.ts';
import { ensureAdminToken } from './admin-token.ts';
import { hashToken, lookupToken } from './tokens.ts';

let prisma: PrismaClient;
let dir: string;

beforeAll(async () => {
  prisma = createPrisma(await createTestDatabase());
  dir = await mkdtemp(join(inject('tmpRoot'), 'admin-token-'));
});
afterAll(async () => {
  await prisma?.$disconnect();
  await rm(dir, { recursive: true, force: true });
});

describe('ensureAdminToken', () => {
  it('generates a token on first start, keeps it only in <dataDir>/admin-token (0600), and returns the same one later', async () => {
    const dataDir = join(dir, 'first');
    const token = await ensureAdminToken(prisma, { dataDir });
    expect(token).toMatch(/^arch_[A-Za-z0-9_-]{43}$/);
    const file = join(dataDir, 'admin-token');
    expect((await readFile(file, 'utf8')).trim()).toBe(token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const rows = await prisma.apiToken.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ hash: hashToken(token!), scopes: ['admin'] });
    expect(JSON.stringify(rows)).not.toContain(token!); // only the hash is stored

    expect(await ensureAdminToken(prisma, { dataDir })).toBe(token);
    expect(await prisma.apiToken.count()).toBe(1);
    expect(await lookupToken(prisma, token!)).toMatchObject({ scopes: ['admin'] });
  });

  it('does not mint another when live admin tokens exist whose text it does not know', async () => {
    expect(await ensureAdminToken(prisma, { dataDir: join(dir, 'elsewhere') })).toBeNull();
  });

  it('replaces a revoked token from the file when no other admin token is live', async () => {
    const dataDir = join(dir, 'first');
    const old = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    await prisma.apiToken.updateMany({ data: { revokedAt: new Date() } });
    const fresh = await ensureAdminToken(prisma, { dataDir });
    expect(fresh).not.toBe(old);
    expect((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim()).toBe(fresh);
    expect(await lookupToken(prisma, old)).toBeNull();
    expect(await lookupToken(prisma, fresh!)).not.toBeNull();
  });

  it("re-registers the file's token when the database was reset", async () => {
    const dataDir = join(dir, 'reset');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'admin-token'), 'arch_from-an-earlier-database-xxxxxxxx\n', { mode: 0o600 });
    expect(await ensureAdminToken(prisma, { dataDir })).toBe('arch_from-an-earlier-database-xxxxxxxx');
    expect(await lookupToken(prisma, 'arch_from-an-earlier-database-xxxxxxxx')).not.toBeNull();
  });

  it('registers ARCHWAY_ADMIN_TOKEN once and never writes it to disk', async () => {
    const dataDir = join(dir, 'env');
    const token = 'operator-chosen-secret-0123456789';
    expect(await ensureAdminToken(prisma, { dataDir, token })).toBe(token);
    expect(await ensureAdminToken(prisma, { dataDir, token })).toBe(token);
    expect(await prisma.apiToken.count({ where: { hash: hashToken(token) } })).toBe(1);
    await expect(stat(join(dataDir, 'admin-token'))).rejects.toThrow(/ENOENT/);
  });
});
