import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDockerConfig, type DockerConfig } from '@archway/runtime';

export type { Credentials, DockerConfig } from '@archway/runtime';

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

/** Reads the whole docker config (auths, credHelpers, credsStore); an absent file means none. */
export async function loadAuthFile(path: string | null): Promise<DockerConfig | null> {
  if (!path) return null;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read auth file ${path}: ${(err as Error).message}`);
  }
  return parseDockerConfig(text, path);
}
