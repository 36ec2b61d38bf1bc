import { getFromHelper, type HelperOptions } from './credential-helper.ts';
import type { Credentials, DockerConfig } from './parse.ts';

/** Where the credentials for a push came from, for error messages (never the secret itself). */
export interface CredentialLookup {
  credentials?: Credentials;
  /** `auths["ghcr.io/acme"]`, `credHelpers: docker-credential-ecr-login`, … or `none`. */
  source: string;
}

/**
 * The credentials for `registry/repository`, in the order docker and podman use:
 * 1. `credHelpers[registry]`: that helper only;
 * 2. `auths`: the most specific key — `host/ns/repo`, then `host/ns`, then `host` (containers/image
 *    path prefixes; docker itself only knows `host`, which is the last fallback);
 * 3. `credsStore`: the default helper.
 * No match: anonymous (open registries, or a 401 naming the auth file).
 */
export async function lookupCredentials(
  config: DockerConfig | null,
  registry: string,
  repository: string,
  opts: HelperOptions = {},
): Promise<CredentialLookup> {
  if (!config) return { source: 'none' };
  const host = registry.toLowerCase();
  const helper = config.credHelpers.get(host);
  if (helper) return fromHelper(helper, host, opts);
  for (const key of candidateKeys(host, repository)) {
    const creds = config.auths.get(key);
    if (creds) return { credentials: creds, source: `auths["${key}"]` };
  }
  if (config.credsStore) return fromHelper(config.credsStore, host, opts);
  return { source: 'none' };
}

/** `host/a/b/c`, `host/a/b`, `host/a`, `host`: the longest prefix wins. */
export function candidateKeys(host: string, repository: string): string[] {
  const parts = repository.split('/').filter(Boolean);
  const keys: string[] = [];
  for (let n = parts.length; n > 0; n--) keys.push(`${host}/${parts.slice(0, n).join('/')}`);
  keys.push(host);
  return keys;
}

async function fromHelper(helper: string, host: string, opts: HelperOptions): Promise<CredentialLookup> {
  const credentials = await getFromHelper(helper, host, opts);
  return { ...(credentials ? { credentials } : {}), source: `docker-credential-${helper}` };
}
