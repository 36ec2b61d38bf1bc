import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Build secrets travel in the job payload sealed with a key the API and the agents share
 * (`ARCHWAY_AGENT_SECRET_KEY`, distinct from the API's own storage key, so an agent can never open
 * forge tokens). AES-256-GCM, random 96-bit nonce; the task id and secret id are bound as
 * additional data, so a sealed value copied into another task's payload does not open.
 */
const VERSION = 'v1';
const MIN_KEY_LENGTH = 32;

export class BuildSecretError extends Error {}

/** The AES key from the configured text (at least 32 characters, e.g. `openssl rand -base64 32`). */
export function buildSecretKey(text: string, name = 'ARCHWAY_AGENT_SECRET_KEY'): Buffer {
  const value = text.trim();
  if (value.length < MIN_KEY_LENGTH) throw new BuildSecretError(`${name} must be at least ${MIN_KEY_LENGTH} characters (try: openssl rand -base64 32)`);
  return createHash('sha256').update(value, 'utf8').digest();
}

const aad = (taskId: string, id: string) => Buffer.from(`archway-build-secret\0${taskId}\0${id}`);

export function sealBuildSecret(key: Buffer, taskId: string, id: string, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(taskId, id));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), data.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
}

/** Throws BuildSecretError when the key differs, the value was altered or sealed for another task. */
export function openBuildSecret(key: Buffer, taskId: string, id: string, sealed: string): string {
  const [version, iv, data, tag] = sealed.split(':');
  if (version !== VERSION || iv === undefined || data === undefined || tag === undefined) {
    throw new BuildSecretError(`build secret "${id}" is not in a format this agent reads`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(taskId, id));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new BuildSecretError(`build secret "${id}" cannot be opened: this agent's ARCHWAY_AGENT_SECRET_KEY differs from the API's`);
  }
}
