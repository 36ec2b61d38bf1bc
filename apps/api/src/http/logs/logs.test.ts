import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKeys, parsePlatform, type TaskStatus } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { appendLogLines, endLog, readableFrom } from '@archway/runtime';
import { apiFixture, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { parseSse, sseReader } from '../../testing/sse-client.ts';

let f: ApiFixture;
let baseUrl: string;

beforeAll(async () => {
  f = await apiFixture({ heartbeatMs: 200 });
  baseUrl = await f.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => f?.close());

async function newBuild(status: TaskStatus = 'running') {
  const build = await f.prisma.build.create({
    data: {
      sourceUrl: 'file:///r',
      ref: 'main',
      commit: 'a'.repeat(40),
      platforms: ['linux/amd64', 'linux/arm64'],
      push: false,
      tasks: {
        create: [
          { platform: 'linux/amd64', status },
          { platform: 'linux/arm64', status },
        ],
      },
    },
    include: { tasks: true },
  });
  return { id: build.id, arm: build.tasks.find((t) => t.platform === 'linux/arm64')! };
}

const lines = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `line ${from + i}`);

describe('GET /api/v1/builds/:id/logs', () => {
  it('answers the log from Redis while the task runs', async () => {
    const b = await newBuild();
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, ['STEP 1/2: FROM scratch', 'with \x1b[32mcolour\x1b[0m']);
    await appendLogLines(f.redis, f.prefix, b.arm.id, 2, ['second attempt']);
    const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=linux/arm64`, headers: f.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('STEP 1/2: FROM scratch\nwith \x1b[32mcolour\x1b[0m\nsecond attempt\n');
  });

  it('pages through long logs in Redis', async () => {
    const b = await newBuild();
    const many = lines(2500);
    for (let i = 0; i < many.length; i += 500) await appendLogLines(f.redis, f.prefix, b.arm.id, 1, many.slice(i, i + 500));
    const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=arm64`, headers: f.auth });
    expect(res.body).toBe(`${many.join('\n')}\n`);
  });

  it('answers the stored log from the object store once the task finished', async () => {
    const b = await newBuild('built');
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, ['from redis']);
    await f.objectStore.put(objectKeys.log(b.id, parsePlatform('linux/arm64')), readableFrom('from the object store\n'));
    const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=linux/arm64&download=1`, headers: f.auth });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('from the object store\n');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="archway-${b.id}-linux-arm64.log"`);
    // Not uploaded (yet): Redis still has it.
    await f.prisma.task.update({ where: { id: b.arm.id }, data: { status: 'failed' } });
    const amd = (await f.prisma.task.findFirstOrThrow({ where: { buildId: b.id, platform: 'linux/amd64' } })).id;
    await f.prisma.task.update({ where: { id: amd }, data: { status: 'failed' } });
    await appendLogLines(f.redis, f.prefix, amd, 1, ['amd from redis']);
    const fallback = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=linux/amd64`, headers: f.auth });
    expect(fallback.body).toBe('amd from redis\n');
  });

  it('answers 404 naming the platform when the build has no such platform, 400 when it is missing', async () => {
    const b = await newBuild();
    for (const p of ['linux/s390x', 'linux/foo']) {
      const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=${p}`, headers: f.auth });
      expect(res.statusCode, p).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found', field: 'platform' });
      expect(res.json().message).toContain(p);
    }
    const missing = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs`, headers: f.auth });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('platform');
    const unknown = await f.app.inject({
      method: 'GET',
      url: '/api/v1/builds/00000000-0000-4000-8000-000000000000/logs?platform=linux/amd64',
      headers: f.auth,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("answers 404 when a finished task's log is gone from both places", async () => {
    const b = await newBuild('failed');
    const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${b.id}/logs?platform=linux/arm64`, headers: f.auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('no longer available');
  });
});

describe('GET /api/v1/builds/:id/logs/stream', () => {
  it("replays a finished task's log with stream ids, then ends; resumes strictly after Last-Event-ID", async () => {
    const b = await newBuild('built');
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, lines(6));
    await endLog(f.redis, f.prefix, b.arm.id, 1);
    const url = `/api/v1/builds/${b.id}/logs/stream?platform=linux/arm64`;
    const all = await f.app.inject({ method: 'GET', url, headers: f.auth });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const { events } = parseSse(all.body);
    expect(events.map((e) => e.event)).toEqual([...Array(6).fill('line'), 'end']);
    expect(events.slice(0, 6).map((e) => e.data)).toEqual(lines(6));
    const ids = (await f.redis.xrange(redisKeys(f.prefix).log(b.arm.id), '-', '+')).map(([id]) => id);
    expect(events.slice(0, 6).map((e) => e.id)).toEqual(ids.slice(0, 6));

    const resumed = parseSse((await f.app.inject({ method: 'GET', url, headers: { ...f.auth, 'last-event-id': events[2]!.id! } })).body).events;
    expect(resumed.map((e) => e.data)).toEqual([...lines(3, 4), '']);
    expect(resumed.map((e) => e.id)).toEqual([...ids.slice(3, 6), undefined]);

    const bad = await f.app.inject({ method: 'GET', url, headers: { ...f.auth, 'last-event-id': 'yesterday' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('Last-Event-ID');
  });

  it('follows a running task live, survives a reconnect without loss or duplicates, and closes its Redis connection', async () => {
    const b = await newBuild('running');
    const url = `${baseUrl}/api/v1/builds/${b.id}/logs/stream?platform=linux/arm64`;
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, lines(2));

    const first = await fetch(url, { headers: f.auth });
    expect(first.status).toBe(200);
    const a = sseReader(first.body!);
    await a.next(2);
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, lines(2, 3));
    await a.next(4);
    await a.heartbeat(); // idle: a comment keeps proxies from closing the stream
    expect(a.events.map((e) => e.data)).toEqual(lines(4));
    await a.cancel();
    await waitFor(async () => (await streamClients()) === 0, 'the log stream connection to close');

    // While away: more lines. Back with Last-Event-ID: exactly the missing ones.
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, lines(3, 5));
    const second = await fetch(url, { headers: { ...f.auth, 'last-event-id': a.events[3]!.id! } });
    const c = sseReader(second.body!);
    await c.next(3);
    expect(await streamClients()).toBe(1);
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, ['last line']);
    await f.prisma.task.update({ where: { id: b.arm.id }, data: { status: 'built' } });
    await endLog(f.redis, f.prefix, b.arm.id, 1);
    await c.ended();
    expect(c.events.map((e) => e.data)).toEqual([...lines(3, 5), 'last line', '']);
    expect(c.events.at(-1)!.event).toBe('end');
    const ids = new Set([...a.events, ...c.events].map((e) => e.id).filter(Boolean));
    expect(ids.size).toBe(8);
    await waitFor(async () => (await streamClients()) === 0, 'the log stream connection to close');
  });

  it('does not end at an end marker while the task is still open (a retry follows)', async () => {
    const b = await newBuild('running');
    const res = await fetch(`${baseUrl}/api/v1/builds/${b.id}/logs/stream?platform=linux/arm64`, { headers: f.auth });
    const r = sseReader(res.body!);
    await appendLogLines(f.redis, f.prefix, b.arm.id, 1, ['attempt 1']);
    await endLog(f.redis, f.prefix, b.arm.id, 1);
    await appendLogLines(f.redis, f.prefix, b.arm.id, 2, ['attempt 2']);
    await r.next(2);
    expect(r.events.map((e) => e.event)).toEqual(['line', 'line']);
    await f.prisma.task.update({ where: { id: b.arm.id }, data: { status: 'failed' } });
    await endLog(f.redis, f.prefix, b.arm.id, 2);
    await r.ended();
    expect(r.events.map((e) => e.data)).toEqual(['attempt 1', 'attempt 2', '']);
  });
});

async function streamClients(): Promise<number> {
  const list = (await f.redis.client('LIST')) as string;
  return list.split('\n').filter((l) => l.includes('name=archway-api-log-stream')).length;
}
