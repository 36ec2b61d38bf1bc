import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseBaseReference, PollError, RegistryPoller } from '../../apps/api/src/workers/base-watch/index.ts';
import { startTokenServer, type TokenServer } from '../../apps/merger/src/registry/test-support/token-server.ts';
import { pushBaseImage, pushIndexOf } from '../harness/base-image.ts';
import { startRegistry, type TestRegistry } from '../harness/registry.ts';

const run = promisify(execFile);
const ref = (text: string) => parseBaseReference(text)!;

// The watcher's one registry call, against real docker-registry instances (plain and with token
// auth); only answers no docker-registry gives (429, RateLimit headers) come from a stand-in.
describe('base-image poller', () => {
  let dir: string;
  let tokens: TokenServer;
  let authed: TestRegistry;
  const plain = inject('registryHost');

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'poller-'));
    tokens = await startTokenServer(dir, { user: 'robot', password: 'p@ss', refreshToken: 'r' });
    authed = await startRegistry({ dir: join(dir, 'authed'), extraConfig: tokens.registryConfig });
  });
  afterAll(async () => {
    await authed?.stop();
    await tokens?.close();
  });

  it('reads a tag with one HEAD; for an index also its members, fetched only when the index changed', async () => {
    const image = `${plain}/poller/one:1`;
    const single = await pushBaseImage(join(dir, 'one'), image, 'one\n');
    const index = await pushIndexOf(join(dir, 'one'), image, `${plain}/poller/one:multi`);
    const requests: string[] = [];
    const poller = new RegistryPoller({ insecureRegistries: [plain], onRequest: (m, u) => requests.push(`${m} ${new URL(u).pathname}`) });

    expect(await poller.head(ref(image))).toEqual({ digest: single, members: [] });
    expect(requests).toEqual(['HEAD /v2/poller/one/manifests/1']);
    requests.length = 0;
    expect(await poller.head(ref(`${plain}/poller/one:multi`))).toEqual({ digest: index, members: [single] });
    expect(requests).toEqual(['HEAD /v2/poller/one/manifests/multi', `GET /v2/poller/one/manifests/${index}`]);
    requests.length = 0;
    expect(await poller.head(ref(`${plain}/poller/one:multi`), index, [single])).toEqual({ digest: index, members: [single] });
    expect(requests).toEqual(['HEAD /v2/poller/one/manifests/multi']);
  });

  it('answers a Bearer challenge with an anonymous pull token, cached for the next polls', async () => {
    const image = `${plain}/poller/src:1`;
    const digest = await pushBaseImage(join(dir, 'src'), image, 'authed\n');
    await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--dest-creds',
      'robot:p@ss',
      `docker://${image}`,
      `docker://${authed.host}/team/base:1`,
    ]);
    tokens.seen.length = 0;
    const poller = new RegistryPoller({ insecureRegistries: [authed.host] });
    expect((await poller.head(ref(`${authed.host}/team/base:1`))).digest).toBe(digest);
    expect((await poller.head(ref(`${authed.host}/team/base:1`))).digest).toBe(digest);
    expect(tokens.seen).toEqual(['GET anonymous repository:team/base:pull']);
    await expect(poller.head(ref(`${authed.host}/team/gone:1`))).rejects.toThrow(/no such manifest \(404\)/);
  });

  it('stand-in registry: honours 429 Retry-After and a spent RateLimit budget without asking again', async () => {
    let answer: { status: number; headers: Record<string, string> } = { status: 429, headers: { 'retry-after': '120' } };
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(answer.status, answer.headers).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const poller = new RegistryPoller({ insecureRegistries: [host] });
      const err = await poller.head(ref(`${host}/lib/base:1`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PollError);
      expect((err as PollError).retryAfterMs).toBe(120_000);

      const digest = `sha256:${'a'.repeat(64)}`;
      answer = {
        status: 200,
        headers: {
          'docker-content-digest': digest,
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '0;w=21600',
        },
      };
      expect((await poller.head(ref(`${host}/lib/base:1`))).digest).toBe(digest);
      const before = hits;
      const paused = await poller.head(ref(`${host}/lib/other:2`)).catch((e: unknown) => e);
      expect((paused as PollError).message).toMatch(/rate limit reached/);
      expect((paused as PollError).retryAfterMs).toBeGreaterThan(21_000_000);
      expect(hits).toBe(before);
    } finally {
      server.close();
    }
  });
});
