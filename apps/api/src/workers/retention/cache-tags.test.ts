import type {} from '../../../../../test/global-setup.ts';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../../../test/harness/registry.ts';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { PrismaClient } from '../../generated/prisma/client.ts';
import { expireCacheTags } from './cache-tags.ts';
import { DAY, memoryLog } from './test-support.ts';

/**
 * Cache tags pushed as buildah pushes them (a cache image per step, tagged by its cache key), one
 * made long ago (`--timestamp`) and one just now, in a real docker-registry with htpasswd auth.
 */
const run = promisify(execFile);

describe('expiring the shared layer cache through the registry API', () => {
  let dir: string;
  let registry: TestRegistry;
  let prisma: PrismaClient;
  let repoId: string;
  const base = 'archway-cache';

  async function pushCacheImage(repository: string, tag: string, timestamp?: number): Promise<void> {
    const ctx = join(dir, `ctx-${tag}`);
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Containerfile'), `FROM scratch\nCOPY f /f\n`);
    await writeFile(join(ctx, 'f'), tag);
    const storage = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
    const ref = `${registry.host}/${repository}:${tag}`;
    await run('buildah', [
      ...storage,
      'build',
      '--isolation',
      'chroot',
      ...(timestamp !== undefined ? ['--timestamp', String(timestamp)] : []),
      '-t',
      ref,
      ctx,
    ]);
    await run('buildah', [...storage, 'push', '--tls-verify=false', '--creds', 'cache-robot:cache-pass', ref, `docker://${ref}`]);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'cache-tags-'));
    await writeFile(join(dir, 'htpasswd'), `cache-robot:${bcrypt.hashSync('cache-pass', 8)}\n`);
    registry = await startRegistry({ dir: join(dir, 'registry'), extraConfig: `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n` });
    await writeFile(
      join(dir, 'auth.json'),
      JSON.stringify({ auths: { [`${registry.host}/${base}`]: { auth: Buffer.from('cache-robot:cache-pass').toString('base64') } } }),
    );
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: await createTestDatabase() }) });
    const repo = await prisma.repo.create({
      data: { fullName: 'acme/cached', provider: 'github', cloneUrl: 'https://example.test/acme/cached.git', platforms: ['linux/amd64'], webhookSecret: 'x' },
    });
    repoId = repo.id;
    await pushCacheImage(`${base}/${repoId}/linux-amd64`, 'old', 1_000_000_000); // 2001
    await pushCacheImage(`${base}/${repoId}/linux-amd64`, 'fresh');
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await registry?.stop();
  });

  const tags = async () => {
    const auth = `Basic ${Buffer.from('cache-robot:cache-pass').toString('base64')}`;
    const res = await fetch(`http://${registry.host}/v2/${base}/${repoId}/linux-amd64/tags/list`, { headers: { authorization: auth } });
    return (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
  };

  it('deletes the tags older than the TTL with the cache credentials, keeps the others', async () => {
    expect(await tags()).toEqual(['fresh', 'old']);
    const cache = { repo: `${registry.host}/${base}`, ttlMs: 7 * DAY, insecure: true, authFile: join(dir, 'auth.json') };
    const log = memoryLog();
    expect(await expireCacheTags({ prisma, cache, log, now: new Date() })).toBe(1);
    expect(await tags()).toEqual(['fresh']);
    expect(await expireCacheTags({ prisma, cache, log, now: new Date() })).toBe(0);
    expect(log.lines).toEqual([]);
  });

  it('says which repository failed without credentials, and deletes nothing', async () => {
    const log = memoryLog();
    const cache = { repo: `${registry.host}/${base}`, ttlMs: 0, insecure: true };
    expect(await expireCacheTags({ prisma, cache, log, now: new Date() })).toBe(0);
    expect(log.lines).toEqual(['retention: cache cleanup failed for a repository']);
    expect(await tags()).toEqual(['fresh']);
  });
});
