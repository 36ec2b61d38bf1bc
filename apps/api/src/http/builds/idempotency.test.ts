import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE } from '@archway/contract';
import { createToken } from '../auth/tokens.ts';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

// Idempotency-Key on POST /api/v1/builds, on the real API, Postgres, Redis and git.
describe('POST /api/v1/builds with Idempotency-Key', () => {
  let f: ApiFixture;
  let repo: { url: string; commit: string };

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    repo = await makeGitRepo(f.tmp);
  });
  afterAll(async () => {
    await f?.close();
  });

  const body = (extra: object = {}) => ({ source: { url: repo.url, ref: 'main' }, push: false, platforms: ['linux/amd64'], ...extra });
  const post = (key: string | undefined, payload: unknown, auth = f.auth) =>
    f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: { ...auth, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
      payload: payload as object,
    });

  it('a retry with the same key and body answers the same build (202, same id); one build and one flow exist', async () => {
    const first = await post('retry-1', body());
    expect(first.statusCode, first.body).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const count = await f.prisma.build.count();
    // Field order does not make another request.
    const again = await post('retry-1', { platforms: ['linux/amd64'], push: false, source: { ref: 'main', url: repo.url } });
    expect(again.statusCode).toBe(202);
    // The same build; its status is the one it has now (the first answer said `resolving`).
    expect(again.json()).toEqual({ ...first.json(), status: again.json().status });
    expect(first.json().status).toBe('resolving');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await f.prisma.build.count()).toBe(count);
    await resolved(f, first.json().id);
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(first.json().id)).toBeDefined();
  });

  it('the same key with another body → 422 naming the header; nothing created', async () => {
    await post('retry-2', body());
    const count = await f.prisma.build.count();
    const other = await post('retry-2', body({ platforms: ['linux/arm64'] }));
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ field: 'Idempotency-Key', message: expect.stringMatching(/already used with a different request in the last 24 h/) });
    expect(await f.prisma.build.count()).toBe(count);
  });

  it('keys are per token: another client with the same key gets its own build', async () => {
    const mine = await post('shared-name', body());
    const { token } = await createToken(f.prisma, 'other ci', ['build']);
    const theirs = await post('shared-name', body(), { authorization: `Bearer ${token}` });
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().id).not.toBe(mine.json().id);
  });

  it('two retries racing each other create one build; the other answer is the same build or 409', async () => {
    const count = await f.prisma.build.count();
    const answers = await Promise.all([post('race-1', body()), post('race-1', body()), post('race-1', body())]);
    expect(await f.prisma.build.count()).toBe(count + 1);
    const ids = new Set(answers.filter((a) => a.statusCode === 202).map((a) => a.json().id));
    expect(ids.size).toBe(1);
    for (const a of answers) expect([202, 409]).toContain(a.statusCode);
  });

  it('a key expires after 24 h: then it starts a new build', async () => {
    const first = await post('expiring', body());
    await f.prisma.idempotencyKey.updateMany({ where: { key: 'expiring' }, data: { createdAt: new Date(Date.now() - 25 * 3_600_000) } });
    const later = await post('expiring', body());
    expect(later.statusCode).toBe(202);
    expect(later.json().id).not.toBe(first.json().id);
  });

  it('a request that failed releases its key; an abandoned claim is taken over', async () => {
    // Refused inside the keyed creation (the URL's scheme), after the key was claimed.
    const failed = await post('after-error', body({ source: { url: 'ftp://example.com/r.git', ref: 'main' } }));
    expect(failed.statusCode).toBe(400);
    expect(failed.json().field).toBe('source.url');
    expect(await f.prisma.idempotencyKey.count({ where: { key: 'after-error' } })).toBe(0);
    expect((await post('after-error', body())).statusCode).toBe(202);

    const admin = await f.prisma.apiToken.findFirstOrThrow({ where: { name: 'test admin' } });
    await f.prisma.idempotencyKey.create({ data: { tokenId: admin.id, key: 'died', requestHash: 'x', createdAt: new Date(Date.now() - 10 * 60_000) } });
    expect((await post('died', body())).statusCode).toBe(202);
  });

  it('a malformed key → 400 naming the header; nothing created', async () => {
    const count = await f.prisma.build.count();
    for (const key of ['x'.repeat(256), 'has space', '']) {
      const res = await post(key, body());
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json().field).toBe('Idempotency-Key');
    }
    expect(await f.prisma.build.count()).toBe(count);
  });
});
