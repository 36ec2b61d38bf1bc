import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiError } from '@archway/contract';
import { PAGE_CSP } from '../../infra/csp.ts';

/** Paths that are never the dashboard: a miss there is a JSON 404, not index.html. */
const NOT_SPA = /^\/(api|hooks|healthz|readyz|metrics)(\/|$)/;

function htmlHeaders(reply: FastifyReply): void {
  reply.header('cache-control', 'no-cache');
  reply.header('content-security-policy', PAGE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

/**
 * Serves the built dashboard (apps/web/dist) at `/`, with every other non-API GET answered by
 * index.html so that deep links (/builds/<id>) survive a reload. Hashed assets are cached for
 * good; index.html is revalidated so a new deploy is picked up at once.
 */
export async function serveDashboard(app: FastifyInstance, distDir: string): Promise<void> {
  const index = join(distDir, 'index.html');
  const built = existsSync(index);
  if (built) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      wildcard: false,
      index: false,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, path) => {
        if (path.endsWith('.html')) htmlHeaders(reply);
        else if (path.includes('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
        else reply.header('cache-control', 'no-cache');
      },
    });
  } else {
    app.log.warn(`the dashboard is not built (${index} is missing): run "npm run build -w @archway/web"`);
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const wantsPage = (request.method === 'GET' || request.method === 'HEAD') && !NOT_SPA.test(path) && !/\.[a-z0-9]+$/i.test(path);
    if (!wantsPage) {
      return reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${path}` } satisfies ApiError);
    }
    if (!built) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The Archway dashboard is not built. Run "npm run build -w @archway/web" and restart the API.\n');
    }
    htmlHeaders(reply);
    return reply.sendFile('index.html', distDir, { cacheControl: false });
  });
}
