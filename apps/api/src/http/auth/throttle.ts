import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import { TooManyRequestsError } from '../../infra/errors.ts';

export const DEFAULT_AUTH_FAILURE_LIMIT = 20;
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 10 * 60_000;

/**
 * Counts failed authentications (wrong API token, wrong dashboard password, bad webhook
 * signature) per client address in Redis, so every API replica sees the same count. Once a
 * client reached the limit, its every authentication attempt is refused with 429 until the
 * window ends; that includes a correct one (else guessing would just continue). A success
 * resets nothing: one client's success must not clear another's count, and the counter is per
 * address anyway.
 */
export interface AuthThrottle {
  /**
   * Throws 429 (Retry-After) when this client is over its limit. `scope` keeps a separate count
   * for one target (a webhook URL), see the hooks plugin.
   */
  check(request: FastifyRequest, scope?: string): Promise<void>;
  /** Counts one failure of this client. */
  fail(request: FastifyRequest, scope?: string): Promise<void>;
}

export interface ThrottleOptions {
  redis: Redis;
  prefix: string;
  limit?: number;
  windowMs?: number;
}

export function createAuthThrottle({
  redis,
  prefix,
  limit = DEFAULT_AUTH_FAILURE_LIMIT,
  windowMs = DEFAULT_AUTH_FAILURE_WINDOW_MS,
}: ThrottleOptions): AuthThrottle {
  const keys = redisKeys(prefix);
  const key = (request: FastifyRequest, scope?: string) => keys.authFailures(scope ? `${request.ip}|${scope}` : request.ip);
  if (limit <= 0) return { check: async () => {}, fail: async () => {} };
  return {
    async check(request, scope) {
      let count: string | null;
      let ttl = -1;
      try {
        // One round trip per request; the window's end is asked only of a client already over the limit.
        count = await redis.get(key(request, scope));
        if (count !== null && Number(count) >= limit) ttl = await redis.pttl(key(request, scope));
      } catch (err) {
        // Fail open: Redis being away must not lock every client out of the API.
        request.log.warn({ err }, 'authentication throttle unavailable (Redis)');
        return;
      }
      if (count !== null && Number(count) >= limit) {
        const seconds = Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000));
        throw new TooManyRequestsError(`too many failed authentication attempts from this address: try again in ${seconds} s`, seconds);
      }
    },
    async fail(request, scope) {
      const k = key(request, scope);
      try {
        // The window starts at the first failure; later failures do not extend it.
        await redis.multi().set(k, '0', 'PX', windowMs, 'NX').incr(k).exec();
      } catch (err) {
        request.log.warn({ err }, 'authentication throttle unavailable (Redis)');
      }
    },
  };
}

/** The throttle an app's deps describe. */
export function throttleFor(deps: { redis: Redis; prefix: string; authFailureLimit?: number; authFailureWindowMs?: number }): AuthThrottle {
  return createAuthThrottle({
    redis: deps.redis,
    prefix: deps.prefix,
    ...(deps.authFailureLimit !== undefined ? { limit: deps.authFailureLimit } : {}),
    ...(deps.authFailureWindowMs !== undefined ? { windowMs: deps.authFailureWindowMs } : {}),
  });
}
