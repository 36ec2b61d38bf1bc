import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PrismaClient } from '../../infra/db.ts';
import { ForbiddenError, UnauthorizedError } from '../../infra/errors.ts';
import type { AuthThrottle } from './throttle.ts';
import { hasScope, lookupToken, type Scope, type TokenIdentity } from './tokens.ts';

/**
 * Another way to identify a caller than a Bearer token (the dashboard's session cookie).
 * Returns null when the request does not carry its credential; throws an HttpError to refuse it.
 */
export type RequestAuthenticator = (request: FastifyRequest) => Promise<TokenIdentity | null>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope the route needs; default: `read` for GET/HEAD, `build` otherwise. */
    scope?: Scope;
  }
  interface FastifyRequest {
    token?: TokenIdentity;
  }
  interface FastifyInstance {
    /** Consulted in order when a /api/v1 (or /metrics) request has no Authorization header. Push to add one. */
    apiAuthenticators: RequestAuthenticator[];
  }
}

function bearer(header: string): string | undefined {
  return /^Bearer[ \t]+(\S+)\s*$/i.exec(header)?.[1];
}

async function identify(request: FastifyRequest, prisma: PrismaClient, others: RequestAuthenticator[], throttle: AuthThrottle): Promise<TokenIdentity> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    // Only a presented token counts: a stale session cookie or no credential at all is no guess.
    await throttle.check(request);
    const presented = bearer(header);
    const identity = presented ? await lookupToken(prisma, presented) : null;
    if (!identity) {
      await throttle.fail(request);
      throw new UnauthorizedError(presented ? 'invalid or revoked API token' : 'the Authorization header must be "Bearer <token>"');
    }
    return identity;
  }
  for (const authenticate of others) {
    const identity = await authenticate(request);
    if (identity) return identity;
  }
  throw new UnauthorizedError();
}

/** Authentication and scope checks for every route of the scope it is installed in. */
export function installAuth(scope: FastifyInstance, prisma: PrismaClient, throttle: AuthThrottle): void {
  scope.decorateRequest('token', undefined);
  const others = scope.apiAuthenticators;
  scope.addHook('onRequest', async (request) => {
    const identity = await identify(request, prisma, others, throttle);
    const needed: Scope = request.routeOptions.config.scope ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'build');
    if (!hasScope(identity.scopes, needed)) {
      throw new ForbiddenError(`this token lacks the "${needed}" scope (it has: ${identity.scopes.join(', ') || 'none'})`);
    }
    request.token = identity;
  });
}
