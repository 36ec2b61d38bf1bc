import { DOCKER_HUB_NAMES } from '../docker-config/parse.ts';

/**
 * Registry host names: the name in an image reference (`docker.io`, `127.0.0.1:5000`) is not
 * always the host that serves the API, nor the key under which docker stores its credentials.
 */

/** The host that serves `/v2/` for a registry named in an image reference. */
export function apiHost(registry: string): string {
  return DOCKER_HUB_NAMES.has(registry) ? 'registry-1.docker.io' : registry;
}

/**
 * Normalises a key of `auths` in a docker config (`https://index.docker.io/v1/`,
 * `http://host:5000`, `host:5000/some/path`) to the registry name it stands for.
 */
export function authKeyToRegistry(key: string): string {
  let host = key.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? '';
  host = host.toLowerCase();
  return DOCKER_HUB_NAMES.has(host) ? 'docker.io' : host;
}

/** `host` or `host:port` as listed in ARCHWAY_INSECURE_REGISTRIES matches the registry name. */
export function hostListed(list: readonly string[], registry: string): boolean {
  const name = registry.toLowerCase();
  return list.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (!e) return false;
    if (e === name) return true;
    // An entry without a port covers every port of that host.
    return !e.includes(':') && name.startsWith(`${e}:`);
  });
}
