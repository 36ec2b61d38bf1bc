import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageWithinPrefixes } from '@archway/contract';
import { apiFixture, makeGitRepo, type ApiFixture } from '../../testing/fixture.ts';

describe('imageWithinPrefixes', () => {
  it('matches whole path components, registry hosts case-insensitively, Docker Hub spelled out', () => {
    expect(imageWithinPrefixes('registry.example.com/team/app', ['registry.example.com/team'])).toBe(true);
    expect(imageWithinPrefixes('registry.example.com/team', ['registry.example.com/team'])).toBe(true);
    expect(imageWithinPrefixes('registry.example.com/teammate/app', ['registry.example.com/team'])).toBe(false);
    expect(imageWithinPrefixes('Registry.Example.com:5000/team/app', ['registry.example.com:5000'])).toBe(true);
    expect(imageWithinPrefixes('registry.example.com:5000/team/app', ['registry.example.com'])).toBe(false);
    expect(imageWithinPrefixes('alpine', ['docker.io/library'])).toBe(true);
    expect(imageWithinPrefixes('myorg/app', ['docker.io/myorg'])).toBe(true);
    expect(imageWithinPrefixes('myorg/app', ['docker.io/other', 'registry.example.com'])).toBe(false);
  });
});

// Real API, Postgres and git: a build token limited to image prefixes cannot push elsewhere.
describe('build tokens limited to image prefixes', () => {
  let f: ApiFixture;
  let repo: { url: string; commit: string };
  let limited: Record<string, string>;
  let tokenId: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    repo = await makeGitRepo(f.tmp);
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: f.auth,
      payload: { name: 'team ci', scopes: ['build'], imagePrefixes: ['registry.example.com/team/', 'registry.example.com/team'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().imagePrefixes).toEqual(['registry.example.com/team']);
    tokenId = res.json().id;
    limited = { authorization: `Bearer ${res.json().token}` };
  });
  afterAll(async () => {
    await f?.close();
  });

  const build = (headers: Record<string, string>, image: string, push = true) =>
    f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers,
      payload: { source: { url: repo.url, commit: repo.commit }, image, tags: ['1'], push, platforms: ['linux/amd64'] },
    });

  it('the list shows the limit', async () => {
    const list = (await f.app.inject({ url: '/api/v1/tokens', headers: f.auth })).json().items;
    expect(list.find((t: { id: string }) => t.id === tokenId)).toMatchObject({ scopes: ['build'], imagePrefixes: ['registry.example.com/team'] });
    expect(list.find((t: { name: string }) => t.name === 'test admin')).toMatchObject({ imagePrefixes: [] });
  });

  it('builds inside the prefixes; outside → 403 with the reason, nothing created', async () => {
    expect((await build(limited, 'registry.example.com/team/app')).statusCode).toBe(202);
    const count = await f.prisma.build.count();
    for (const image of ['registry.example.com/teammate/app', 'registry.example.com/other', 'alpine', 'registry.example.com:5000/team/app']) {
      const res = await build(limited, image);
      expect(res.statusCode, image).toBe(403);
      expect(res.json().message).toBe(`image: this token may push only to images under registry.example.com/team; ${image} is outside them`);
    }
    expect(await f.prisma.build.count()).toBe(count);
    // A build that pushes nothing is not limited.
    expect((await build(limited, 'registry.example.com/other', false)).statusCode).toBe(202);
  });

  it("a rebuild of another's build outside the prefixes → 403", async () => {
    const other = await build(f.auth, 'registry.example.com/other/app');
    expect(other.statusCode).toBe(202);
    const count = await f.prisma.build.count();
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${other.json().id}/rebuild`, headers: limited });
    expect(res.statusCode).toBe(403);
    expect(await f.prisma.build.count()).toBe(count);
  });

  it("a registered repository's build pushing outside the prefixes → 403", async () => {
    const reg = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: 'acme/elsewhere', provider: 'github', cloneUrl: repo.url, defaultBranch: 'main', image: 'registry.example.com/acme/app' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const count = await f.prisma.build.count();
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/repos/${reg.json().id}/builds`, headers: limited, payload: { ref: 'main' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/^the repository's image: this token may push only to images under registry\.example\.com\/team/);
    expect(await f.prisma.build.count()).toBe(count);
  });

  it('bad prefixes and prefixes on an admin token → 400 naming the field; nothing created', async () => {
    const count = await f.prisma.apiToken.count();
    const cases: [unknown, string][] = [
      [{ name: 'x', scopes: ['admin'], imagePrefixes: ['registry.example.com'] }, 'imagePrefixes'],
      [{ name: 'x', scopes: ['build'], imagePrefixes: ['Team App'] }, 'imagePrefixes.0'],
      [{ name: 'x', scopes: ['build'], imagePrefixes: ['myorg/app'] }, 'imagePrefixes.0'],
      [{ name: 'x', scopes: ['build'], imagePrefixes: ['registry.example.com/app:1.0'] }, 'imagePrefixes.0'],
      [{ name: 'x', scopes: ['build'], imagePrefixes: 'registry.example.com' }, 'imagePrefixes'],
    ];
    for (const [payload, field] of cases) {
      const res = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().field, JSON.stringify(payload)).toBe(field);
    }
    expect(await f.prisma.apiToken.count()).toBe(count);
  });
});
