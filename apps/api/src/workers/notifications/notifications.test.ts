import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@archway/contract';
import type { DbBuildStatus as BuildStatus } from '../../infra/build-status.ts';
import { apiFixture, makeGitRepo, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { createSecretBox } from '../../infra/secrets/secret-box.ts';
import { startNotifier, type Notifier } from './notifier.ts';

interface Received {
  path: string;
  event: string;
  delivery: string;
  signatureOk: boolean;
  body: Record<string, any>;
}

/**
 * A real HTTP receiver, as a user would write one: it checks X-Archway-Signature-256 against the
 * secret it was given (constant-time), records what came, and answers what the test queued.
 */
function receiver() {
  const received: Received[] = [];
  const answers: number[] = [];
  const secrets = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const secret = secrets.get(req.url!) ?? '';
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const presented = Buffer.from(String(req.headers['x-archway-signature-256'] ?? ''));
      received.push({
        path: req.url!,
        event: String(req.headers['x-archway-event']),
        delivery: String(req.headers['x-archway-delivery']),
        signatureOk: presented.length === expected.length && timingSafeEqual(presented, expected),
        body: JSON.parse(raw.toString('utf8')),
      });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  return { server, received, answers, secrets };
}

describe('outgoing notifications', () => {
  let f: ApiFixture;
  let notifier: Notifier;
  let base: string;
  let repoId: string;
  const rx = receiver();
  const secretBox = createSecretBox(randomBytes(32));

  beforeAll(async () => {
    await new Promise<void>((r) => rx.server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(rx.server.address() as AddressInfo).port}`;
    f = await apiFixture({ secretBox, allowLocalSources: true });
    notifier = await startNotifier({
      prisma: f.prisma,
      redis: f.redis,
      prefix: f.prefix,
      publicUrl: 'http://archway.test',
      secretBox,
      allowLocalSources: true,
      retry: { attempts: 3, backoffMs: 100 },
    });
    const git = await makeGitRepo(f.tmp, 'notify');
    const res = await call('POST', '/repos', { fullName: 'acme/notify', provider: 'github', cloneUrl: git.url, image: 'registry.example.com/acme/notify' });
    repoId = res.json().id;
  });
  afterAll(async () => {
    await notifier?.close();
    await f?.close();
    rx.server.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    f.app.inject({ method, url: `/api/v1${url}`, headers: f.auth, ...(payload ? { payload } : {}) });
  async function subscribe(path: string, body: object): Promise<{ id: string; secret: string }> {
    const res = await call('POST', `/repos/${repoId}/notifications`, { url: `${base}${path}`, ...body });
    expect(res.statusCode, res.body).toBe(201);
    rx.secrets.set(path, res.json().secret);
    return res.json();
  }
  async function finished(status: BuildStatus, extra: { push?: boolean; indexDigest?: string; error?: string } = {}) {
    const build = await f.prisma.build.create({
      data: {
        sourceUrl: 'x',
        ref: 'main',
        commit: 'c'.repeat(40),
        platforms: ['linux/amd64'],
        tags: ['latest'],
        image: 'registry.example.com/acme/notify',
        status,
        repoId,
        triggerRef: 'branch:main',
        ...extra,
      },
    });
    // What the recorder does after it changed a build.
    await f.redis.publish(redisKeys(f.prefix).buildChanged, build.id);
    return build;
  }

  it('refuses bad input with a 400 naming the field, and creates nothing', async () => {
    for (const [body, field] of [
      [{ url: 'ftp://x.example/hook', events: ['build.failed'] }, 'url'],
      [{ url: `${base}/x`, events: [] }, 'events'],
      [{ url: `${base}/x`, events: ['build.exploded'] }, 'events'],
      [{ url: `${base}/x`, events: ['build.failed'], format: 'teams' }, 'format'],
      [{ url: `${base}/x`, events: ['build.failed'], secret: 'short' }, 'secret'],
    ] as const) {
      const res = await call('POST', `/repos/${repoId}/notifications`, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).toContain(field);
    }
    expect(await f.prisma.notification.count()).toBe(0);
  });

  it('delivers a signed JSON body with a delivery id, retrying after a 500 with the same id', async () => {
    const hook = await subscribe('/json', { events: ['build.succeeded', 'image.published'] });
    rx.answers.push(500);
    const build = await finished('succeeded', { push: true, indexDigest: `sha256:${'d'.repeat(64)}` });
    await waitFor(async () => rx.received.filter((r) => r.path === '/json').length === 3, 'two events, one retried');
    const got = rx.received.filter((r) => r.path === '/json');
    expect(got.every((r) => r.signatureOk)).toBe(true);
    const succeeded = got.filter((r) => r.event === 'build.succeeded');
    const published = got.filter((r) => r.event === 'image.published');
    expect(succeeded.length + published.length).toBe(3);
    // The retried one came twice with the same delivery id; each event has its own id.
    const retried = [succeeded, published].find((g) => g.length === 2)!;
    expect(retried[0]!.delivery).toBe(retried[1]!.delivery);
    expect(succeeded[0]!.delivery).not.toBe(published[0]!.delivery);
    expect(published[0]!.body).toMatchObject({
      event: 'image.published',
      delivery: published[0]!.delivery,
      repository: { id: repoId, fullName: 'acme/notify' },
      build: { id: build.id, url: `http://archway.test/builds/${build.id}`, status: 'succeeded', image: 'registry.example.com/acme/notify', tags: ['latest'] },
    });

    const log = await waitFor(async () => {
      const res = await call('GET', `/repos/${repoId}/notifications/${hook.id}/deliveries`);
      const items = res.json().items as Array<{ status: string; attempts: number; responseStatus: number }>;
      return items.length === 2 && items.every((d) => d.status === 'delivered') ? items : undefined;
    }, 'both delivered in the log');
    expect(log.map((d) => d.attempts).sort()).toEqual([1, 2]);
    expect(log.every((d) => d.responseStatus === 200)).toBe(true);
  });

  it('Slack and Matrix presets; only the chosen events; a 4xx is not retried and shows in the log', async () => {
    await subscribe('/slack', { events: ['build.failed'], format: 'slack' });
    const matrix = await subscribe('/matrix', { events: ['build.failed'], format: 'matrix' });
    rx.answers.push(404, 404);
    const build = await finished('failed', { error: 'linux/amd64: step 2/2 "RUN make" failed with exit code 2' });
    await finished('canceled');
    await waitFor(async () => rx.received.filter((r) => r.path === '/slack' || r.path === '/matrix').length === 2, 'slack and matrix');
    const slack = rx.received.find((r) => r.path === '/slack')!;
    expect(slack.body).toEqual({
      text: `acme/notify: build failed (main @ ccccccc) — linux/amd64: step 2/2 "RUN make" failed with exit code 2 <http://archway.test/builds/${build.id}|build>`,
    });
    const m = rx.received.find((r) => r.path === '/matrix')!;
    expect(m.body).toMatchObject({ msgtype: 'm.notice', format: 'org.matrix.custom.html', body: expect.stringContaining('build failed') });
    expect(m.body.formatted_body).toContain(`<a href="http://archway.test/builds/${build.id}">build</a>`);
    const failedLog = await waitFor(async () => {
      const items = (await call('GET', `/repos/${repoId}/notifications/${matrix.id}/deliveries`)).json().items;
      return items[0]?.status === 'failed' ? items : undefined;
    }, 'the failed delivery');
    expect(failedLog[0]).toMatchObject({ attempts: 1, responseStatus: 404, error: 'the receiver answered 404' });
    // Nobody subscribed to build.canceled: no delivery rows for it.
    expect(await f.prisma.notificationDelivery.count({ where: { event: 'build.canceled' } })).toBe(0);
  });

  it('never shows the secret or the URL path again, and keeps both sealed at rest', async () => {
    const secret = 'our-own-secret-of-24-chars';
    const res = await call('POST', `/repos/${repoId}/notifications`, { url: `${base}/services/T000/B000/XXXXSECRETPATH`, events: ['build.failed'], secret });
    expect(res.json().secret).toBe(secret);
    const list = (await call('GET', `/repos/${repoId}/notifications`)).body;
    expect(list).not.toContain(secret);
    expect(list).not.toContain('XXXXSECRETPATH');
    expect(list).toContain(`${base}/***`);
    const row = await f.prisma.notification.findUniqueOrThrow({ where: { id: res.json().id } });
    expect(row.secret).not.toContain(secret);
    expect(row.url).not.toContain('XXXXSECRETPATH');
    const rotated = await call('PATCH', `/repos/${repoId}/notifications/${row.id}`, { rotateSecret: true, enabled: false });
    expect(rotated.json()).toMatchObject({ enabled: false, secret: expect.any(String) });
    expect(rotated.json().secret).not.toBe(secret);
    expect((await call('DELETE', `/repos/${repoId}/notifications/${row.id}`)).statusCode).toBe(204);
  });
});
