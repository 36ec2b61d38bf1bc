import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type BuildStatus } from '@archway/contract';
import { toDbStatus } from '../../infra/build-status.ts';
import { waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { createSecretBox } from '../../infra/secrets/secret-box.ts';
import type { StatusReporter } from './reporter.ts';
import { reportStatus } from './report.ts';
import { repoBuildRow, statusFixture } from './test-support.ts';

interface Received {
  path: string;
  privateToken: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

const STATES = ['pending', 'running', 'success', 'failed', 'canceled'];

/**
 * A stand-in for GitLab's commit status API (`POST /api/v4/projects/:id/statuses/:sha`) speaking
 * its wire format: the project as a URL-encoded path, PRIVATE-TOKEN or Bearer auth (401
 * `{"message":"401 Unauthorized"}`), 400 for an unknown state, 400 "Cannot transition status"
 * when the state is set again, and 201 with the commit status it created.
 */
function gitlabStandIn(tokens: { privateToken: string; bearer: string }) {
  const received: Received[] = [];
  const current = new Map<string, string>();
  /** While set, requests are recorded and their answers held here until the test releases them. */
  const gate = { hold: false, held: [] as (() => void)[] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data || '{}') as Record<string, string>;
      received.push({ path: req.url!, privateToken: req.headers['private-token'] as string | undefined, authorization: req.headers.authorization, body });
      if (gate.hold) gate.held.push(() => handle(req, body, res));
      else handle(req, body, res);
    });
  });
  function handle(req: IncomingMessage, body: Record<string, string>, res: ServerResponse) {
    const answer = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    const m = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '');
    if (!m || req.method !== 'POST') return answer(404, { message: '404 Not Found' });
    const authed = req.headers['private-token'] === tokens.privateToken || req.headers.authorization === `Bearer ${tokens.bearer}`;
    if (!authed) return answer(401, { message: '401 Unauthorized' });
    if (!STATES.includes(body.state ?? '')) return answer(400, { error: 'state does not have a valid value' });
    const key = `${decodeURIComponent(m[1]!)}@${m[2]}/${body.name ?? 'default'}`;
    if (current.get(key) === body.state) return answer(400, { message: `Cannot transition status via :${body.state} from :${body.state}` });
    current.set(key, body.state!);
    return answer(201, {
      id: received.length,
      sha: m[2],
      ref: null,
      status: body.state,
      name: body.name,
      target_url: body.target_url,
      description: body.description,
      created_at: new Date().toISOString(),
      allow_failure: false,
      coverage: null,
      author: { id: 1, username: 'archway-bot' },
    });
  }
  return { server, received, gate };
}

describe('GitLab commit statuses (against a GitLab API stand-in)', () => {
  let f: ApiFixture;
  let reporter: StatusReporter;
  const gitlab = gitlabStandIn({ privateToken: 'glpat-statusToken', bearer: 'oauth-token' });
  const secretBox = createSecretBox(randomBytes(32));
  const ids: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    let base: string;
    ({ f, reporter, base } = await statusFixture(gitlab.server, secretBox, { attempts: 3, backoffMs: 100 }));
    for (const [name, forgeToken] of [
      ['group/sub/app', 'glpat-statusToken'],
      ['group/oauth', 'Bearer oauth-token'],
      ['group/wrong', 'glpat-revoked'],
    ] as const) {
      // The clone URL's host is the stand-in: the API base is derived from it (/api/v4).
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/v1/repos',
        headers: f.auth,
        payload: { fullName: name, provider: 'gitlab', cloneUrl: `${base}/${name}.git`, forgeToken, image: 'registry.example.com/app' },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.body).not.toContain(forgeToken);
      ids[name] = res.json().id;
    }
  });
  afterAll(async () => {
    await reporter?.close();
    await f?.close();
    gitlab.server.close();
  });

  const buildOf = (repo: string, status: BuildStatus = 'queued') =>
    repoBuildRow(f, { repoId: ids[repo]!, commit: (++n).toString(16).padStart(40, 'c'), image: 'registry.example.com/app', status });
  const changed = (id: string) => f.redis.publish(redisKeys(f.prefix).buildChanged, id);
  const setStatus = (id: string, status: BuildStatus, error?: string) =>
    f.prisma.build.update({ where: { id }, data: { status: toDbStatus(status), ...(error ? { error } : {}) } });
  const requestsFor = (id: string) => gitlab.received.filter((r) => String(r.body.target_url).endsWith(id));

  it('pending → running → success, on the URL-encoded project path with PRIVATE-TOKEN and the context as `name`', async () => {
    const build = await buildOf('group/sub/app');
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 1, 'pending');
    await setStatus(build.id, 'running');
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 2, 'running');
    await setStatus(build.id, 'succeeded');
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 3, 'success');
    const sent = requestsFor(build.id);
    expect(sent.map((r) => r.body.state)).toEqual(['pending', 'running', 'success']);
    expect(sent[0]).toEqual({
      path: `/api/v4/projects/group%2Fsub%2Fapp/statuses/${build.commit}`,
      privateToken: 'glpat-statusToken',
      authorization: undefined,
      body: {
        state: 'pending',
        target_url: `http://archway.test/builds/${build.id}`,
        description: 'Queued: linux/amd64',
        name: 'archway/registry.example.com/app',
      },
    });
    // Recorded once the stand-in's answer arrived (just after it saw the request).
    await waitFor(async () => (await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).statusState === 'success', 'success recorded');
    expect((await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).statusError).toBeNull();
  });

  it("takes one build's stages in turn: pending and running queued at once never reach GitLab out of order", async () => {
    const build = await buildOf('group/sub/app', 'running');
    const deps = { prisma: f.prisma, secretBox, publicUrl: 'http://archway.test' };
    gitlab.gate.hold = true;
    const jobs = Promise.all([reportStatus(deps, { buildId: build.id, stage: 'pending' }), reportStatus(deps, { buildId: build.id, stage: 'running' })]);
    // One request is at the forge, unanswered; the other job waits for the build's turn.
    const waiting = async () =>
      (
        await f.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
      )[0]!.n;
    try {
      await waitFor(async () => gitlab.gate.held.length === 1 && (await waiting()) === 1, 'one post held, one job waiting', 10_000);
      expect(requestsFor(build.id)).toHaveLength(1);
    } finally {
      gitlab.gate.hold = false;
      for (const release of gitlab.gate.held.splice(0)) release();
    }
    const outcomes = await jobs;
    const states = requestsFor(build.id).map((r) => r.body.state);
    // Whichever took the first turn: running is the last word, and pending never follows it.
    expect(states.at(-1)).toBe('running');
    expect(states).toEqual(outcomes.includes('skipped') ? ['running'] : ['pending', 'running']);
    expect((await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).statusState).toBe('running');
  });

  it('failed and canceled are GitLab states of their own; an OAuth token goes as Bearer', async () => {
    const failed = await buildOf('group/oauth', 'failed');
    await setStatus(failed.id, 'failed', 'linux/amd64: step 2/2 "RUN make" failed with exit code 2');
    const canceled = await buildOf('group/oauth', 'canceled');
    await changed(failed.id);
    await changed(canceled.id);
    await waitFor(async () => requestsFor(failed.id).length === 1 && requestsFor(canceled.id).length === 1, 'final statuses');
    expect(requestsFor(failed.id)[0]).toMatchObject({
      authorization: 'Bearer oauth-token',
      privateToken: undefined,
      body: { state: 'failed', description: 'linux/amd64: step 2/2 "RUN make" failed with exit code 2' },
    });
    expect(requestsFor(canceled.id)[0]!.body.state).toBe('canceled');
  });

  it('a state GitLab already has ("Cannot transition status") counts as reported', async () => {
    const build = await buildOf('group/sub/app', 'succeeded');
    // Someone (a lost answer of an earlier attempt) already set success on this commit and context.
    await fetch(`http://127.0.0.1:${(gitlab.server.address() as AddressInfo).port}/api/v4/projects/group%2Fsub%2Fapp/statuses/${build.commit}`, {
      method: 'POST',
      headers: { 'private-token': 'glpat-statusToken', 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'success', name: 'archway/registry.example.com/app', target_url: `http://archway.test/builds/${build.id}` }),
    });
    await changed(build.id);
    await waitFor(async () => (await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).statusState === 'success', 'success recorded');
    expect((await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).statusError).toBeNull();
  });

  it('a refused token is reported on the build once, not retried, and never shown', async () => {
    const build = await buildOf('group/wrong', 'succeeded');
    await changed(build.id);
    const row = await waitFor(async () => {
      const b = await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } });
      return b.statusError ? b : undefined;
    }, 'the status error');
    expect(row.statusError).toBe(
      `commit status "success" not reported: gitlab answered 401: 401 Unauthorized (check the repository's forge token and its permissions)`,
    );
    expect(requestsFor(build.id)).toHaveLength(1);
    const shown = await f.app.inject({ url: `/api/v1/builds/${build.id}`, headers: f.auth });
    expect(shown.body).not.toContain('glpat-revoked');
  });
});
