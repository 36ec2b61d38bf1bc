import { platformSlug, storedPlatform } from '@archway/contract';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { CacheRegistry } from './cache-registry.ts';
import type { RetentionLog } from './log.ts';

/** The shared layer cache's expiry (ARCHWAY_CACHE_*): where it is and how long entries live. */
export interface CachePolicy {
  /** Registry host and path, as the agents' ARCHWAY_AGENT_CACHE_REPO. */
  repo: string;
  ttlMs: number;
  authFile?: string;
  /** Plain HTTP (a registry on a LAN without TLS). */
  insecure: boolean;
}

const MANIFEST_ACCEPT = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

/**
 * Deletes cache tags older than the TTL: for every registered repository and platform, lists
 * `<repo>/<repository id>/<platform slug>` and deletes (by digest) each cache image whose config
 * says it was created before the horizon. The registry frees the bytes at its garbage collection.
 * One repository's failure is logged and the others go on. Returns the number deleted.
 */
export async function expireCacheTags(deps: { prisma: PrismaClient; cache: CachePolicy; log: RetentionLog; now: Date; signal?: AbortSignal }): Promise<number> {
  const registry = await CacheRegistry.open(deps.cache.repo, deps.cache);
  const [, ...basePath] = deps.cache.repo.split('/');
  const horizon = deps.now.getTime() - deps.cache.ttlMs;
  let removed = 0;
  const repos = await deps.prisma.repo.findMany({ select: { id: true, platforms: true } });
  for (const repo of repos) {
    for (const platform of repo.platforms) {
      if (deps.signal?.aborted) return removed;
      const repository = [...basePath, repo.id, platformSlug(storedPlatform(platform))].join('/');
      try {
        removed += await expireRepository(registry, repository, horizon);
      } catch (err) {
        deps.log.warn({ repository, error: (err as Error).message }, 'retention: cache cleanup failed for a repository');
      }
    }
  }
  return removed;
}

async function expireRepository(registry: CacheRegistry, repository: string, horizon: number): Promise<number> {
  const list = await registry.send('GET', `/v2/${repository}/tags/list?n=10000`, repository);
  if (list.status === 404) return 0; // no cache for it (yet)
  if (!list.ok) throw new Error(`listing tags answered ${list.status}`);
  const tags = ((await list.json()) as { tags?: string[] | null }).tags ?? [];
  let removed = 0;
  for (const tag of tags) {
    const res = await registry.send('GET', `/v2/${repository}/manifests/${tag}`, repository, { accept: MANIFEST_ACCEPT });
    if (!res.ok) continue; // deleted meanwhile
    const digest = res.headers.get('docker-content-digest');
    const manifest = (await res.json()) as { config?: { digest?: string } };
    if (!digest || !manifest.config?.digest) continue;
    const config = await registry.send('GET', `/v2/${repository}/blobs/${manifest.config.digest}`, repository);
    if (!config.ok) continue;
    const created = Date.parse(((await config.json()) as { created?: string }).created ?? '');
    if (!Number.isFinite(created) || created >= horizon) continue;
    const del = await registry.send('DELETE', `/v2/${repository}/manifests/${digest}`, repository);
    await del.body?.cancel();
    if (del.status !== 202 && del.status !== 404) throw new Error(`deleting ${tag} answered ${del.status} (is deletion enabled, may the account delete?)`);
    if (del.status === 202) removed++;
  }
  return removed;
}
