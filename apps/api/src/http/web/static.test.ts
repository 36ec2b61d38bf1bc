import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from './static.ts';

describe('serving the built dashboard', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-dist-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Archway</title><div id="root"></div>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, '.env'), 'SECRET=1');
    app = Fastify();
    app.get('/healthz', async () => ({ status: 'ok' }));
    await serveDashboard(app, dir);
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers / and deep links with index.html, revalidated, with a strict CSP', async () => {
    for (const url of ['/', '/builds', '/builds/6f1c7a8e-0000-4000-8000-000000000000?platform=linux%2Farm64', '/agents']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves hashed assets with a long cache and 404s for missing ones', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    const missing = await app.inject({ method: 'GET', url: '/assets/index-zzz.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('not_found');
    expect((await app.inject({ method: 'GET', url: '/.env' })).statusCode).toBe(404);
  });

  it('never answers API-like paths or non-GET requests with the page', async () => {
    for (const url of ['/api/v1/nope', '/api', '/hooks/github', '/metrics', '/readyz']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/json/);
    }
    expect((await app.inject({ method: 'POST', url: '/builds' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('says how to build the dashboard when it is missing', async () => {
    const bare = Fastify();
    await serveDashboard(bare, join(dir, 'does-not-exist'));
    const res = await bare.inject({ method: 'GET', url: '/builds' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/npm run build -w @archway\/web/);
    await bare.close();
  });
});
