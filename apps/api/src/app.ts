import Fastify, { errorCodes, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppDeps } from './deps.ts';
import { installApiNotFound, installErrorHandler } from './infra/errors.ts';
import { installAuth } from './http/auth/plugin.ts';
import { throttleFor } from './http/auth/throttle.ts';
import { buildsPlugin } from './http/builds/plugin.ts';
import { logsPlugin } from './http/logs/plugin.ts';
import { eventsPlugin } from './http/events/plugin.ts';
import { agentsPlugin } from './http/agents/plugin.ts';
import { healthPlugin } from './http/health/plugin.ts';
import { metricsPlugin } from './http/metrics/plugin.ts';
import { installSse } from './infra/sse/sse.ts';
import { webPlugin } from './http/web/plugin.ts';
import { randomBytes } from 'node:crypto';
import { reposPlugin } from './http/repos/plugin.ts';
import { hooksPlugin } from './http/hooks/plugin.ts';
import { tokensPlugin } from './http/tokens/plugin.ts';
import { artifactsPlugin } from './http/artifacts/plugin.ts';
import { openapiPlugin } from './http/openapi/plugin.ts';
import { schedulesPlugin } from './http/schedules/plugin.ts';
import { baseImagesPlugin } from './http/base-images/plugin.ts';
import { notificationsPlugin } from './http/notifications/plugin.ts';
import { createSecretBox } from './infra/secrets/secret-box.ts';
import { installRequestSpans } from './infra/request-spans.ts';
import { createApiMetrics } from './metrics/api-metrics.ts';
import { installHttpMetrics } from './metrics/http-metrics.ts';

export type { AppDeps };

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Called before any route is registered, so that its hooks reach every route (tests check answers here). */
  setup?: (app: FastifyInstance) => void;
  /** Whose X-Forwarded-For to believe for the client address (the authentication throttle counts per address). */
  trustProxy?: boolean | string;
  /** The process's logger (@archway/runtime createLogger); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** A server span per request (OpenTelemetry tracing is on: startTracing in main.ts). */
  tracing?: boolean;
}

/**
 * The API server without listening: main.ts listens, tests use `app.inject()`.
 * The deps are owned by the caller (closed by it, not by `app.close()`).
 */
export async function buildApp(given: AppDeps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const metrics = given.metrics ?? createApiMetrics();
  const deps: AppDeps = { ...given, metrics };
  const app = Fastify({
    // Fastify's request serializer logs method and URL, never headers (no Authorization in logs).
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    // Large webhook or upload routes set their own limit; /api/v1 sets deps.bodyLimit below.
    bodyLimit: deps.bodyLimit,
    return503OnClosing: true,
    trustProxy: opts.trustProxy ?? false,
  });
  opts.setup?.(app);
  if (opts.tracing) installRequestSpans(app);
  installHttpMetrics(app, metrics);
  installErrorHandler(app);
  installSse(app);
  // First: it records every route registered after it into /api/v1/openapi.json.
  await app.register(openapiPlugin);
  // Other credentials for /api/v1 (the dashboard's session): see RequestAuthenticator.
  app.decorate('apiAuthenticators', []);

  // Plugins take `{ deps }`, never deps itself: Fastify reads a `prefix` option as a route prefix.
  await app.register(healthPlugin, { deps });
  await app.register(metricsPlugin, { deps });
  // Forge webhooks: signed by the forge, not by API tokens; raw bodies of their own size limit.
  // Without a key (tests), secrets are sealed with a random one that lives as long as the app.
  const secretBox = deps.secretBox ?? createSecretBox(randomBytes(32));
  await app.register(hooksPlugin, { deps, secretBox, prefix: '/hooks' });

  await app.register(
    async (v1) => {
      installApiNotFound(v1);
      // Only JSON bodies; Fastify's default text/plain parser would let `"…"` through as a string.
      v1.removeContentTypeParser('text/plain');
      // An empty body with a JSON content type is "no body" (POST …/cancel from fetch()), not an error.
      const json = v1.getDefaultJsonParser('error', 'error');
      v1.removeContentTypeParser('application/json');
      v1.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
        if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
        json(req, body as string, done);
      });
      // `curl -d '{…}'` labels JSON as a form. Take it when it is JSON; a real form body is still 415.
      // No CSRF opening: forms cannot send the bearer token, and session writes need the CSRF header.
      v1.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
        if (!/^\s*[[{]/.test(body as string)) return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers['content-type'] ?? ''), undefined);
        json(req, body as string, done);
      });
      installAuth(v1, deps.prisma, throttleFor(deps));
      await v1.register(buildsPlugin, { deps });
      await v1.register(logsPlugin, { deps });
      await v1.register(eventsPlugin, { deps });
      await v1.register(agentsPlugin, { deps });
      await v1.register(reposPlugin, { deps, secretBox });
      await v1.register(schedulesPlugin, { deps });
      await v1.register(baseImagesPlugin, { deps });
      await v1.register(notificationsPlugin, { deps, secretBox });
      await v1.register(tokensPlugin, { deps });
      await v1.register(artifactsPlugin, { deps });
    },
    { prefix: '/api/v1' },
  );

  // ── Dashboard ───────────────────────────────────────────────────────────────────────────────
  // The web helper registers the dashboard's static files here: `await app.register(webPlugin)`.
  // It owns the root 404 (SPA fallback); /api/v1 keeps its own JSON 404 above. A session login
  // plugs into /api/v1 auth with `app.apiAuthenticators.push(fn)` (auth/plugin.ts); since the hook
  // reads that array per request, pushing after the routes were registered is fine.
  // ────────────────────────────────────────────────────────────────────────────────────────────
  await app.register(webPlugin, deps);

  return app;
}
