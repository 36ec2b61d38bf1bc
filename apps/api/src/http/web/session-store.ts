import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';

/** What Redis keeps for one signed-in browser. The cookie holds only the random id. */
export interface SessionRecord {
  tokenId: string;
  /** Name of the API token signed in with (shown in the dashboard). */
  name: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export const SESSION_TTL_SECONDS = 12 * 3600;

/**
 * Opaque sessions in Redis with a TTL: revoking one is a DEL, and nothing in the cookie can be
 * forged offline. Keys hold the sha256 of the id, so a Redis dump reveals no usable cookie.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = SESSION_TTL_SECONDS,
  ) {}

  async create(token: { id: string; name: string }): Promise<{ id: string; record: SessionRecord }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: SessionRecord = {
      tokenId: token.id,
      name: token.name,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlSeconds * 1000).toISOString(),
    };
    await this.redis.set(this.key(id), JSON.stringify(record), 'EX', this.ttlSeconds);
    return { id, record };
  }

  async get(id: string): Promise<SessionRecord | null> {
    const raw = await this.redis.get(this.key(id));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as SessionRecord;
    } catch {
      return null;
    }
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return redisKeys(this.prefix).session(createHash('sha256').update(id).digest('hex'));
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
