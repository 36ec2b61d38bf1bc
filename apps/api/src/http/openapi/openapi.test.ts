import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../app.ts';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { Redis } from 'ioredis';
import { freePort } from '@archway/runtime';
import { FAIL_FAST } from '../../infra/queue/redis.ts';
import { checkResponses, ResponseChecker } from '../../testing/response-check.ts';
import { DOCS_PREFIX, documentedPath, DOCUMENTED_PATH } from './plugin.ts';

type Operation = {
  responses: Record<string, { description: string; content?: Record<string, { schema?: object }> }>;
  security?: unknown[];
  deprecated?: boolean;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

let f: ApiFixture;
let app: FastifyInstance;
/** Every route of a fresh app, as its onRoute hook saw them: `GET /api/v1/builds/:id`. */
const registered: string[] = [];
let doc: Doc;

beforeAll(async () => {
  f = await apiFixture();
  app = await buildApp(f.deps, {
    setup: (a) =>
      a.addHook('onRoute', (r) => {
        for (const m of [r.method].flat()) registered.push(`${m} ${r.url}`);
      }),
  });
  await app.ready();
  doc = app.swagger() as unknown as Doc;
});
afterAll(async () => {
  await app?.close();
  await f?.close();
});

/** Routes the document must cover: the API, webhooks, probes, metrics (HEAD mirrors GET; the docs page's files are not the API). */
function apiRoutes(): string[] {
  return registered.filter((r) => {
    const [method, url] = r.split(' ') as [string, string];
    return method !== 'HEAD' && DOCUMENTED_PATH.test(url) && !url.startsWith(DOCS_PREFIX);
  });
}

function documented(): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}

describe('OpenAPI document', () => {
  it('covers every registered route, each with a 2xx answer and the error shape', () => {
    const routes = apiRoutes();
    // Not vacuous: the app really registered its API (24 under /api/v1, 2 hooks, 3 operations routes).
    expect(routes).toContain('POST /api/v1/builds');
    expect(routes).toContain('POST /hooks/github');
    expect(routes).toContain('GET /metrics');
    const missing = routes.filter((r) => {
      const [method, url] = r.split(' ') as [string, string];
      return !documented().includes(`${method} ${documentedPath(url)}`);
    });
    expect(missing, 'routes missing from /api/v1/openapi.json').toEqual([]);
    // And nothing else: the dashboard's files are not in it.
    expect(documented().length).toBe(routes.length);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        const ok = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
        // A deprecated operation is a moved URL that only answers 410 (the old webhook URLs).
        if (!op.deprecated) expect(ok.length, `${where} documents no 2xx answer`).toBeGreaterThan(0);
        for (const [status, r] of ok) expect(r.description, `${where} ${status}`).not.toBe('Default Response');
        expect(op.responses['4XX']?.content?.['application/json']?.schema, `${where} 4XX`).toBeDefined();
      }
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('asks for a bearer token except on the public routes', () => {
    const pub = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(pub.sort()).toEqual(
      [
        'GET /api/v1/openapi.json',
        'GET /api/v1/session',
        'POST /api/v1/session',
        'DELETE /api/v1/session',
        'GET /healthz',
        'GET /readyz',
        'POST /hooks/github',
        'POST /hooks/forgejo',
        'POST /hooks/github/{repoId}',
        'POST /hooks/forgejo/{repoId}',
        'POST /hooks/gitlab',
        'POST /hooks/gitlab/{repoId}',
      ].sort(),
    );
  });

  it('is served without a token at /api/v1/openapi.json', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().paths['/api/v1/builds/{id}'].get.parameters[0]).toMatchObject({ in: 'path', name: 'id', required: true });
    // The request body is the very zod schema POST /builds parses with: its messages' limits show.
    expect(res.json().paths['/api/v1/builds'].post.requestBody.content['application/json'].schema.properties.platforms).toMatchObject({
      minItems: 1,
      maxItems: 16,
    });
    expect(res.json().paths['/api/v1/builds'].post.requestBody.required).toBe(true);
    // An empty POST builds the default branch: that body is optional.
    expect(res.json().paths['/api/v1/repos/{id}/builds'].post.requestBody.required).toBe(false);
    expect(JSON.stringify(res.json())).not.toContain('x-archway-optional-body');
  });

  it('has a browsable page at /api/v1/docs that the dashboard does not swallow', async () => {
    const page = await f.app.inject({ method: 'GET', url: '/api/v1/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const initializer = await f.app.inject({ method: 'GET', url: '/api/v1/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    const spec = await f.app.inject({ method: 'GET', url: '/api/v1/docs/json' });
    expect(spec.json().paths).toEqual(doc.paths);
    // The dashboard still answers its own deep links.
    const dashboard = await f.app.inject({ method: 'GET', url: '/builds/some-id' });
    expect(dashboard.body).not.toContain('swagger-ui');
  });
});

describe('response check against the document', () => {
  it('flags bodies, statuses and media types the document does not describe', () => {
    const checker = new ResponseChecker(doc);
    const build = '/api/v1/builds/:id';
    expect(checker.check('GET', '/healthz', 200, 'application/json', '{"status":"ok"}')).toBeUndefined();
    expect(checker.check('GET', '/healthz', 200, 'application/json', '{"status":"fine"}')).toMatch(/does not match the document's 200 schema/);
    expect(checker.check('GET', build, 200, 'application/json', '{"id":"x"}')).toMatch(/must have required property/);
    expect(checker.check('GET', build, 404, 'application/json', '{"error":"not_found","message":"build x not found","field":"id"}')).toBeUndefined();
    expect(checker.check('GET', build, 404, 'application/json', '{"error":"not_found","msg":"x"}')).toMatch(/4XX schema/);
    expect(checker.check('GET', build, 302, 'text/html', '')).toMatch(/no answer for status 302/);
    expect(checker.check('GET', '/metrics', 200, 'application/json', '{}')).toMatch(/the document says text\/plain/);
    expect(checker.check('GET', '/nowhere', 200, 'application/json', '{}')).toMatch(/not in the document/);
  });

  it("accepts /readyz's 503, which carries its checks", async () => {
    const port = await freePort();
    const deadRedis = new Redis(`redis://127.0.0.1:${port}`, { ...FAIL_FAST, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on('error', () => {});
    const mismatches: string[] = [];
    const sick = await buildApp({ ...f.deps, redis: deadRedis }, { setup: (a) => checkResponses(a, mismatches) });
    try {
      const res = await sick.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(mismatches).toEqual([]);
    } finally {
      await sick.close();
      deadRedis.disconnect();
    }
  });
});
