import type { FastifyRequest } from 'fastify';
import type { PrismaClient } from '../../infra/db.ts';
import type { RequestAuthenticator, TokenIdentity } from '../auth/index.ts';
import { ForbiddenError } from '../../infra/errors.ts';
import { readCookie } from './cookies.ts';
import { csrfMatches, type SessionRecord, type SessionStore } from './session-store.ts';

/** `__Host-` binds the cookie to this exact origin; browsers accept that prefix only with Secure. */
export const COOKIE_SECURE = '__Host-archway_session';
export const COOKIE_PLAIN = 'archway_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSecureRequest(request: FastifyRequest, publicUrl: string): boolean {
  return request.protocol === 'https' || publicUrl.startsWith('https://');
}

export function cookieName(secure: boolean): string {
  return secure ? COOKIE_SECURE : COOKIE_PLAIN;
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return readCookie(header, COOKIE_SECURE) ?? readCookie(header, COOKIE_PLAIN);
}

/**
 * A browser request that changes something must come from our own pages: its Origin (sent by
 * every current browser on POST/DELETE) must be ours. SameSite=Strict and the CSRF token already
 * stop cross-site requests; this is the third, independent check.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const own = new Set([new URL(publicUrl).origin, `${request.protocol}://${request.host}`]);
  if (!own.has(origin)) throw new ForbiddenError(`cross-origin request refused (Origin ${origin} is not ${[...own][0]})`);
}

/** The live API token behind a session; null (and the session dropped) once it was revoked. */
export async function sessionIdentity(prisma: PrismaClient, store: SessionStore, id: string, record: SessionRecord): Promise<TokenIdentity | null> {
  const row = await prisma.apiToken.findUnique({
    where: { id: record.tokenId },
    select: { id: true, name: true, scopes: true, imagePrefixes: true, revokedAt: true },
  });
  if (!row || row.revokedAt) {
    await store.delete(id);
    return null;
  }
  return { id: row.id, name: row.name, scopes: row.scopes, imagePrefixes: row.imagePrefixes ?? [] };
}

/**
 * Lets /api/v1 accept the session cookie where a Bearer token is absent. Mutations also need the
 * session's CSRF token in `X-CSRF-Token` (a cross-site page can make the browser send the cookie
 * in some setups, but it can never read the token).
 */
export function sessionAuthenticator(deps: { prisma: PrismaClient; store: SessionStore; publicUrl: string }): RequestAuthenticator {
  return async (request) => {
    const id = sessionIdOf(request);
    if (!id) return null;
    const record = await deps.store.get(id);
    if (!record) return null;
    if (!SAFE_METHODS.has(request.method)) {
      assertSameOrigin(request, deps.publicUrl);
      const presented = request.headers[CSRF_HEADER];
      if (!csrfMatches(typeof presented === 'string' ? presented : undefined, record.csrfToken)) {
        throw new ForbiddenError('missing or wrong X-CSRF-Token header: reload the dashboard and try again');
      }
    }
    return sessionIdentity(deps.prisma, deps.store, id, record);
  };
}
