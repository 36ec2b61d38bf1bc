import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { authKeyToRegistry } from './host.ts';

/** Push credentials of one registry. Never logged, never put in an error message. */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in docker's config), traded at the token endpoint. */
  identityToken?: string;
}

export interface AuthFileEnv {
  REGISTRY_AUTH_FILE?: string;
  DOCKER_CONFIG?: string;
  HOME?: string;
}

/**
 * Where the credentials live, in the order podman/skopeo and docker look: REGISTRY_AUTH_FILE,
 * then $DOCKER_CONFIG/config.json, then ~/.docker/config.json. Null when there is none
 * (anonymous pushes still work against open registries).
 */
export function locateAuthFile(env: AuthFileEnv): string | null {
  if (env.REGISTRY_AUTH_FILE) {
    if (!existsSync(env.REGISTRY_AUTH_FILE)) {
      throw new Error(`REGISTRY_AUTH_FILE=${env.REGISTRY_AUTH_FILE} does not exist`);
    }
    return env.REGISTRY_AUTH_FILE;
  }
  const candidates = [env.DOCKER_CONFIG && join(env.DOCKER_CONFIG, 'config.json'), join(env.HOME || homedir(), '.docker', 'config.json')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** Parses a docker config (`{"auths": {host: {auth | username+password | identitytoken}}}`). */
export function parseAuthFile(text: string, path: string): Map<string, Credentials> {
  let json: { auths?: Record<string, AuthEntry> };
  try {
    json = JSON.parse(text);
  } catch {
    // The message of JSON.parse may quote the file, and so a secret: leave it out.
    throw new Error(`auth file ${path} is not valid JSON`);
  }
  const result = new Map<string, Credentials>();
  for (const [key, entry] of Object.entries(json.auths ?? {})) {
    if (!entry || typeof entry !== 'object') continue;
    const creds: Credentials = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new Error(`auth file ${path}: "auth" of ${key} is not base64 of user:password`);
      creds.username = decoded.slice(0, colon);
      creds.password = decoded.slice(colon + 1);
    }
    if (entry.username) creds.username = entry.username;
    if (entry.password) creds.password = entry.password;
    if (entry.identitytoken) creds.identityToken = entry.identitytoken;
    if (creds.username || creds.identityToken) result.set(authKeyToRegistry(key), creds);
  }
  return result;
}

/** Reads the credentials for every registry in the file; an absent file means none. */
export async function loadAuthFile(path: string | null): Promise<Map<string, Credentials>> {
  if (!path) return new Map();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read auth file ${path}: ${(err as Error).message}`);
  }
  return parseAuthFile(text, path);
}
