/**
 * docker's `config.json` (also podman's `auth.json`): `auths` (per registry or repository path),
 * `credHelpers` (per registry) and `credsStore` (for every registry). Parsed once per read; the
 * credentials of an entry are only decoded when a push needs them.
 */

/** Credentials of one registry. Never logged, never put in an error message. */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in docker's config), traded at the token endpoint. */
  identityToken?: string;
}

export interface DockerConfig {
  /** The file it came from (named in errors). */
  path: string;
  /** Normalised key (`host[:port][/path]`, lower-case host) → credentials. Empty entries are left out. */
  auths: Map<string, Credentials>;
  /** Registry host → helper name (`docker-credential-<name>`). */
  credHelpers: Map<string, string>;
  credsStore?: string;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

/** The names Docker Hub goes by in image references and in docker configs. */
export const DOCKER_HUB_NAMES: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** A helper name becomes part of an executable's name: nothing that could leave the PATH lookup. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Normalises a key of `auths` or `credHelpers` the way containers/image does: a scheme
 * (`https://`, `http://`) means a legacy key of the host alone (`https://index.docker.io/v1/`,
 * `http://host:5000/v2/`); otherwise `host[:port]` with an optional repository path prefix.
 * Docker Hub's names all become `docker.io`.
 */
export function normaliseAuthKey(key: string): string {
  const trimmed = key.trim();
  const legacy = /^[a-z]+:\/\//i.test(trimmed);
  const rest = trimmed.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const [hostPart = '', ...path] = rest.split('/');
  const host = DOCKER_HUB_NAMES.has(hostPart.toLowerCase()) ? 'docker.io' : hostPart.toLowerCase();
  return legacy || path.length === 0 ? host : [host, ...path].join('/');
}

/** Parses the text of a docker config; `path` is only named in errors, which never quote the file. */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  let json: { auths?: Record<string, AuthEntry>; credHelpers?: Record<string, unknown>; credsStore?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    // The message of JSON.parse may quote the file, and so a secret: leave it out.
    throw new Error(`auth file ${path} is not valid JSON`);
  }
  if (!json || typeof json !== 'object') throw new Error(`auth file ${path} is not a JSON object`);
  const config: DockerConfig = { path, auths: new Map(), credHelpers: new Map() };
  for (const [key, entry] of Object.entries(json.auths ?? {})) {
    if (!entry || typeof entry !== 'object') continue;
    const creds = entryCredentials(entry, key, path);
    if (creds.username || creds.identityToken) config.auths.set(normaliseAuthKey(key), creds);
  }
  for (const [key, helper] of Object.entries(json.credHelpers ?? {})) {
    config.credHelpers.set(normaliseAuthKey(key).split('/')[0]!, helperName(helper, `credHelpers of ${key}`, path));
  }
  if (json.credsStore !== undefined && json.credsStore !== '') config.credsStore = helperName(json.credsStore, 'credsStore', path);
  return config;
}

function entryCredentials(entry: AuthEntry, key: string, path: string): Credentials {
  const creds: Credentials = {};
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error(`auth file ${path}: "auth" of ${key} is not base64 of user:password`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  }
  if (typeof entry.username === 'string' && entry.username) creds.username = entry.username;
  if (typeof entry.password === 'string' && entry.password) creds.password = entry.password;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) creds.identityToken = entry.identitytoken;
  return creds;
}

function helperName(value: unknown, where: string, path: string): string {
  if (typeof value !== 'string' || !HELPER_NAME.test(value)) {
    throw new Error(`auth file ${path}: ${where} must name a credential helper (letters, digits, "_", "." or "-"), the part after docker-credential-`);
  }
  return value;
}
