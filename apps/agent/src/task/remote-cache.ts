import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { platformSlug, type BuildJob, type Platform } from '@archway/contract';

/** The shared layer cache of one build, as buildah's `--cache-from` / `--cache-to` get it. */
export interface RemoteCache {
  /** `<ARCHWAY_AGENT_CACHE_REPO>/<scope>/<platform slug>`: per repository and per platform, since buildah mixes platforms in one cache. */
  repo: string;
  /** False for pull requests: read, never write. */
  write: boolean;
  /** buildah's `--cache-ttl`: cache images older than this are not used. */
  ttl: string;
}

/** The cache a job may use on this agent; undefined when either side has none. */
export function remoteCacheFor(job: BuildJob, base: string | undefined, platform: Platform, ttl: string): RemoteCache | undefined {
  if (!job.cache || !base) return undefined;
  return { repo: `${base.replace(/\/+$/, '')}/${job.cache.scope}/${platformSlug(platform)}`, write: job.cache.write, ttl };
}

const PROBE_TIMEOUT_MS = 3000;

/**
 * Whether the cache registry answers at all (`/v2/` over HTTPS, then plain HTTP; 200 or 401 both
 * count). A registry that is down would otherwise cost every step buildah's three retries of its
 * cache pull (≈ 6 s each) and then fail the build at the first cache push.
 * Returns null when it answers, else why not.
 */
export async function probeCacheRegistry(repo: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | null> {
  const host = repo.split('/')[0]!;
  let last = '';
  for (const scheme of ['https', 'http'] as const) {
    try {
      await get(scheme, host, timeoutMs);
      return null;
    } catch (err) {
      last = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }
  return `${host} does not answer (${last})`;
}

function get(scheme: 'http' | 'https', host: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // Reachability only: the certificate is checked by buildah itself when it talks to the cache.
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(`${scheme}://${host}/v2/`, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** buildah's message when a `--cache-to` push failed (refused, quota, registry gone mid-build). */
export const CACHE_PUSH_FAILED_RE = /failed pushing cache to/i;
