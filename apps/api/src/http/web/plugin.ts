import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { throttleFor } from '../auth/index.ts';
import { sessionAuthenticator } from './session-auth.ts';
import { sessionRoutes } from './session-routes.ts';
import { SessionStore } from './session-store.ts';
import { serveDashboard } from './static.ts';

export interface WebOptions {
  /** The built dashboard; default apps/web/dist of this checkout. */
  distDir?: string;
  sessionTtlSeconds?: number;
}

export const DEFAULT_DIST = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

/**
 * The dashboard's side of the API: session sign-in (cookie + CSRF token, accepted by /api/v1
 * through `apiAuthenticators`) and the static SPA with its fallback. Registered at the root
 * (not encapsulated) because it owns the root 404 handler.
 */
async function web(app: FastifyInstance, opts: AppDeps & WebOptions): Promise<void> {
  const store = new SessionStore(opts.redis, opts.prefix, opts.sessionTtlSeconds);
  app.apiAuthenticators.push(sessionAuthenticator({ prisma: opts.prisma, store, publicUrl: opts.publicUrl }));
  await sessionRoutes(app, { prisma: opts.prisma, store, publicUrl: opts.publicUrl, throttle: throttleFor(opts) });
  await serveDashboard(app, opts.distDir ?? DEFAULT_DIST);
}

// What fastify-plugin does: run in the parent's context instead of a child one.
(web as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const webPlugin = web;
