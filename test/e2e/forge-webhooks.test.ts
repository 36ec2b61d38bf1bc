import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Build, Repo } from '@archway/contract';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { busyboxRepoFiles, commitFiles, makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { githubExample, withCommit } from '../../apps/api/src/http/hooks/test-support.ts';
import { hmacHex } from '../../apps/api/src/http/hooks/signature.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../apps/cli/bin/archway.js', import.meta.url));

// A forge's view of Archway, end to end with separate processes (API, merger, two agents):
// GitHub webhooks for a local git repository → builds → a pushed index under the rule-derived
// tags in a real registry; a pull request → archives and no tags; a replay → no second build;
// and the CLI following builds to their exit code.
describe('forge webhooks end to end', () => {
  let stack: Stack;
  let repo: Repo & { webhookSecret: string };
  let git: { url: string; commit: string; dir: string };
  let prCommit: string;
  // Stands in for GitHub's commit status API: records what the API process posts.
  const statuses: Array<{ path: string; auth: string | undefined; body: Record<string, string> }> = [];
  let forge: Server;
  const registry = inject('registryHost');
  // Fresh: the tag lists asserted below hold only this run's tags.
  const repository = `e2e/forge-${randomUUID().slice(0, 8)}`;
  const image = `${registry}/${repository}`;

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'e2e-forge-'));
    git = await makeGitRepo(join(root, 'repo'), busyboxRepoFiles('hello from a webhook\n'));
    const sh = (...args: string[]) => run('git', args, { cwd: git.dir });
    await sh('tag', 'v1.2.3');
    await sh('checkout', '-q', '-b', 'feature');
    prCommit = await commitFiles(git.dir, { 'hello.txt': 'hello from a pull request\n' }, 'pr');
    await sh('update-ref', 'refs/pull/7/head', prCommit); // where forges keep a PR's head
    await sh('checkout', '-q', '-b', 'broken', 'main');
    await commitFiles(git.dir, { '.archway.yaml': 'containerfile: fail/Containerfile\nplatforms: [linux/amd64]\n' }, 'broken');
    await sh('checkout', '-q', 'main');

    forge = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        statuses.push({ path: req.url!, auth: req.headers.authorization, body: JSON.parse(data) });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
    const apiUrl = `http://127.0.0.1:${(forge.address() as AddressInfo).port}/api/v3`;

    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: ['linux/amd64', 'linux/arm64'],
    });
    const res = await stack.api('/api/v1/repos', {
      method: 'POST',
      body: JSON.stringify({
        fullName: 'Codertocat/Hello-World',
        provider: 'github',
        cloneUrl: git.url,
        defaultBranch: 'main',
        image,
        platforms: ['linux/amd64', 'linux/arm64'],
        apiUrl,
        forgeToken: 'ghp_e2eStatusToken',
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    repo = (await res.json()) as typeof repo;
  });
  afterAll(async () => {
    await stack?.stop();
    forge?.close();
  });

  function deliver(event: string, payload: unknown, delivery = randomUUID()) {
    const body = JSON.stringify(payload);
    return fetch(repo.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${hmacHex(repo.webhookSecret, Buffer.from(body))}`,
      },
      body,
    });
  }

  async function registryTags(): Promise<string[]> {
    const res = await fetch(`http://${registry}/v2/${repository}/tags/list`);
    return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
  }

  async function indexPlatforms(tag: string): Promise<string[]> {
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${image}:${tag}`]);
    const index = JSON.parse(stdout);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    // Runnable images only: each is followed by its attestation manifest (docs/supply-chain.md).
    return index.manifests
      .filter((m: any) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
      .map((m: any) => `${m.platform.os}/${m.platform.architecture}`)
      .sort();
  }

  it('a push to the default branch publishes latest and sha-<7>; replaying the delivery builds nothing', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      git.commit,
    );
    payload.ref = 'refs/heads/main';
    const delivery = randomUUID();
    const res = await deliver('push', payload, delivery);
    expect(res.status).toBe(202);
    const { build: created } = (await res.json()) as { build: { id: string } };
    const build = await stack.waitForFinal(created.id);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    const sha = `sha-${git.commit.slice(0, 7)}`;
    expect(build.tags).toEqual(['latest', sha]);
    expect(await registryTags()).toEqual(['latest', sha].sort());
    for (const tag of ['latest', sha]) expect(await indexPlatforms(tag)).toEqual(['linux/amd64', 'linux/arm64']);

    // The forge heard `pending`, then `success`, on this commit, with a link to the build.
    const deadline = Date.now() + 30_000;
    const posted = () => statuses.filter((st) => st.body.target_url?.endsWith(created.id));
    while (posted().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(posted().map((st) => st.body.state)).toEqual(['pending', 'success']);
    for (const st of posted()) {
      expect(st.path).toBe(`/api/v3/repos/Codertocat/Hello-World/statuses/${git.commit}`);
      expect(st.auth).toBe('Bearer ghp_e2eStatusToken');
      expect(st.body.context).toBe(`archway/${image}`);
    }

    const before = ((await (await stack.api('/api/v1/builds?limit=200')).json()) as { items: Build[] }).items.length;
    const replay = await deliver('push', payload, delivery);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ duplicate: true, build: { id: created.id } });
    const after = ((await (await stack.api('/api/v1/builds?limit=200')).json()) as { items: Build[] }).items.length;
    expect(after).toBe(before);
  });

  it('a tag v1.2.3 publishes 1.2.3, 1.2, 1 and latest', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/tags/simple-tag' && !e.deleted),
      git.commit,
    );
    payload.ref = 'refs/tags/v1.2.3';
    const res = await deliver('push', payload);
    expect(res.status).toBe(202);
    const build = await stack.waitForFinal(((await res.json()) as { build: { id: string } }).build.id);
    expect(build.status).toBe('succeeded');
    expect(build.tags).toEqual(['1.2.3', '1.2', '1', 'latest']);
    for (const tag of ['1.2.3', '1.2', '1']) expect(await indexPlatforms(tag)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('a pull request builds every platform into downloadable archives and pushes no tag', async () => {
    const tagsBefore = await registryTags();
    const payload = withCommit(
      githubExample('pull_request', (e) => e.action === 'opened'),
      prCommit,
    );
    payload.number = 7;
    const res = await deliver('pull_request', payload);
    expect(res.status).toBe(202);
    const build = await stack.waitForFinal(((await res.json()) as { build: { id: string } }).build.id);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    expect(build).toMatchObject({ push: false, tags: [], source: { ref: 'refs/pull/7/head', commit: prCommit } });
    for (const platform of ['linux-amd64', 'linux-arm64']) {
      const archive = await stack.api(`/api/v1/builds/${build.id}/artifacts/${platform}`);
      expect(archive.status).toBe(200);
      expect(archive.headers.get('content-type')).toBe('application/x-tar');
      const bytes = Buffer.from(await archive.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(1024);
      // A tar whose entries include the OCI layout marker.
      expect(bytes.includes(Buffer.from('oci-layout'))).toBe(true);
    }
    expect(await registryTags()).toEqual(tagsBefore);
  });

  it('archway build --follow exits 0 when the build succeeds and 1 when it fails', async () => {
    const env = { ...process.env, ARCHWAY_URL: stack.url, ARCHWAY_TOKEN: stack.token };
    const ok = await run(process.execPath, [CLI, 'build', 'Codertocat/Hello-World', '--ref', 'main', '--follow'], { env });
    expect(ok.stdout).toMatch(/\[linux\/arm64\] .*STEP 4\/5/);
    expect(ok.stderr).toMatch(/succeeded \(branch:main\)/);

    const failed = await run(process.execPath, [CLI, 'build', 'Codertocat/Hello-World', '--ref', 'broken', '--follow'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/exit code 3/);
  });
});
