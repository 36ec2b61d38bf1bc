import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '@archway/contract';
import { publishEvent } from '@archway/runtime';
import { startRecorder, type Recorder } from '../../workers/recorder/recorder.ts';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { sseReader } from '../../testing/sse-client.ts';

let f: ApiFixture;
let baseUrl: string;
let recorder: Recorder;

beforeAll(async () => {
  f = await apiFixture();
  baseUrl = await f.app.listen({ host: '127.0.0.1', port: 0 });
  recorder = startRecorder({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, blockMs: 200 });
});
afterAll(async () => {
  await recorder?.close();
  await f?.close();
});

describe('GET /api/v1/events', () => {
  it('sends the whole Build each time the recorder changes it', async () => {
    const build = await f.prisma.build.create({
      data: {
        sourceUrl: 'file:///r',
        ref: 'main',
        commit: 'a'.repeat(40),
        platforms: ['linux/arm64'],
        push: false,
        tasks: { create: [{ platform: 'linux/arm64' }] },
      },
      include: { tasks: true },
    });
    const taskId = build.tasks[0]!.id;
    const res = await fetch(`${baseUrl}/api/v1/events`, { headers: f.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const r = sseReader(res.body!);

    const at = new Date().toISOString();
    await publishEvent(f.redis, f.prefix, { type: 'task.started', buildId: build.id, at, taskId, agent: 'pi-1', attempt: 1 });
    await r.next(1);
    let sent = JSON.parse(r.events[0]!.data) as Build;
    expect(r.events[0]!.event).toBe('build');
    expect(sent).toMatchObject({ id: build.id, status: 'running', tasks: [{ id: taskId, status: 'running', agent: 'pi-1' }] });

    await publishEvent(f.redis, f.prefix, { type: 'phase.started', buildId: build.id, at, taskId, attempt: 1, name: 'clone', kind: 'clone' });
    await publishEvent(f.redis, f.prefix, { type: 'task.canceled', buildId: build.id, at, taskId, attempt: 1 });
    await r.next(3);
    sent = JSON.parse(r.events[2]!.data) as Build;
    expect(sent.tasks[0]!.status).toBe('canceled');
    expect(sent.tasks[0]!.phases.map((p) => p.name)).toEqual(['clone']);
    await r.cancel();
  });

  it('needs a token', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/v1/events' });
    expect(res.statusCode).toBe(401);
  });
});
