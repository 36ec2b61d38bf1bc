import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for the secrets Archway must be able to read back: webhook secrets (to
 * verify HMACs), forge access tokens (to post commit statuses), build secrets (to seal them for
 * agents, see builds/build-secrets.ts) and outgoing notifications' URLs and signing secrets. AES-256-GCM with a random
 * 96-bit nonce per value; the purpose is bound as additional data, so a sealed token pasted into
 * the webhook-secret column does not open (`build-secret:<id>` binds a build secret to its id).
 */
export type SecretPurpose = 'webhook-secret' | 'forge-token' | 'notification-secret' | 'notification-url' | `build-secret:${string}`;

export interface SecretBox {
  seal(plain: string, purpose: SecretPurpose): string;
  /** Throws SecretBoxError when the value was sealed with another key or altered. */
  open(sealed: string, purpose: SecretPurpose): string;
}

export class SecretBoxError extends Error {}

const VERSION = 'v1';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  return {
    seal(plain, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv, data, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join(':');
    },
    open(sealed, purpose) {
      const [version, iv, data, tag] = sealed.split(':');
      if (version !== VERSION || iv === undefined || data === undefined || tag === undefined) {
        throw new SecretBoxError('the stored secret is not in a format this version reads');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(purpose));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError(
          'a stored secret cannot be decrypted: ARCHWAY_SECRET_KEY differs from the key it was stored with (set the old key again, or set the secret anew)',
        );
      }
    },
  };
}
