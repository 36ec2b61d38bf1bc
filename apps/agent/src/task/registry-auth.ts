import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lookupCredentials, parseDockerConfig } from '@archway/runtime';

export interface AgentAuthConfig {
  dataDir: string;
  /** Pull-only credentials for base images (ARCHWAY_AGENT_PULL_AUTH_FILE). */
  pullAuthFile?: string;
  /** Credentials for the shared layer cache (ARCHWAY_AGENT_CACHE_AUTH_FILE), used for `cacheRepo` only. */
  cacheAuthFile?: string;
}

/** What buildah gets: `--authfile` and DOCKER_CONFIG, both the agent's own, never a machine-wide file. */
export interface BuildahAuth {
  authFile: string;
  dockerConfigDir: string;
}

/**
 * Writes the auth file of one build (in its work dir, 0600, removed with it): the pull-only file
 * as it is (auths, credHelpers, credsStore), plus the cache credentials under the cache
 * repository's own path key, so that buildah uses them there and nowhere else.
 * buildah otherwise falls back to ~/.docker/config.json even with `--authfile` (tried: 1.28):
 * DOCKER_CONFIG points at an empty directory, so a push credential on the machine (the merger's,
 * on a single host) is never offered to a registry by a build.
 */
export async function prepareBuildahAuth(cfg: AgentAuthConfig, workDir: string, cacheRepo?: string): Promise<BuildahAuth> {
  const dockerConfigDir = join(cfg.dataDir, 'run', 'no-docker-config');
  await mkdir(dockerConfigDir, { recursive: true });
  const config: Record<string, unknown> = cfg.pullAuthFile ? await readJson(cfg.pullAuthFile) : {};
  const auths = { ...((config.auths as Record<string, unknown> | undefined) ?? {}) };
  if (cacheRepo && cfg.cacheAuthFile) {
    const [registry = '', ...path] = cacheRepo.split('/');
    const cacheConfig = parseDockerConfig(await readFile(cfg.cacheAuthFile, 'utf8'), cfg.cacheAuthFile);
    const found = await lookupCredentials(cacheConfig, registry, path.join('/'));
    const c = found.credentials;
    if (c?.username) auths[cacheRepo] = { auth: Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64') };
    else if (c?.identityToken) auths[cacheRepo] = { identitytoken: c.identityToken };
  }
  const authFile = join(workDir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ ...config, auths }), { mode: 0o600 });
  return { authFile, dockerConfigDir };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  // Parsed for its shape only; the message never quotes the file (it holds secrets).
  parseDockerConfig(text, path);
  return JSON.parse(text) as Record<string, unknown>;
}
