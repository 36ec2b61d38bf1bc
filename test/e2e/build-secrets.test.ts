import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';

const run = promisify(execFile);

// A repository build secret end to end with separate processes (API, merger, agent) sharing
// ARCHWAY_AGENT_SECRET_KEY: registered through the API, sealed into the job by the API, opened by
// the agent for `RUN --mount=type=secret`, and found neither in the logs nor in the pushed image.
describe('repository build secrets end to end', () => {
  let stack: Stack;
  let root: string;
  let repoId: string;
  const registry = inject('registryHost');
  const image = `${registry}/e2e/secrets-${randomBytes(4).toString('hex')}`;
  const value = `e2e-secret-${randomBytes(12).toString('hex')}`;
  const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url')];
  const hash = createHash('sha256').update(value).digest('hex');

  beforeAll(async () => {
    root = await mkdtemp(join(inject('tmpRoot'), 'e2e-secrets-'));
    // The step fails unless the mounted secret has the expected content; it prints the value
    // (the agent must mask it) and leaves only its hash in the image.
    const git = await makeGitRepo(join(root, 'repo'), {
      Containerfile:
        'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\n' +
        'RUN --mount=type=secret,id=token busybox cat /run/secrets/token && echo && ' +
        `busybox sha256sum /run/secrets/token | busybox cut -d" " -f1 > /token.sha256 && busybox test "$(busybox cat /token.sha256)" = "${hash}" && echo secret-ok\n`,
      busybox: { copyFrom: '/bin/busybox' },
    });
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: ['linux/amd64'],
      env: { ARCHWAY_AGENT_SECRET_KEY: `e2e-agent-key-${randomBytes(16).toString('hex')}` },
    });
    const res = await stack.api('/api/v1/repos', {
      method: 'POST',
      body: JSON.stringify({
        fullName: 'acme/secret-build',
        provider: 'github',
        cloneUrl: git.url,
        image,
        platforms: ['linux/amd64'],
        secrets: { token: value },
        buildTimeout: '10m',
      }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(text).not.toContain(value);
    repoId = JSON.parse(text).id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('builds with the secret mounted; the value is in no log, no image config and no layer', async () => {
    const res = await stack.api(`/api/v1/repos/${repoId}/builds`, { method: 'POST', body: JSON.stringify({ ref: 'main' }) });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const build = await stack.waitForFinal(id);
    expect(build.status, `${JSON.stringify(build, null, 2)}\n${stack.output.slice(-40).join('\n')}`).toBe('succeeded');

    const log = await (await stack.api(`/api/v1/builds/${id}/logs?platform=linux%2Famd64`)).text();
    expect(log).toContain('secret-ok'); // the step saw the right value
    expect(log).toContain('***'); // the value the step printed, masked by the agent
    for (const f of forms) expect(log.includes(f), 'the log contains the secret').toBe(false);
    const shown = JSON.stringify(build) + (await (await stack.api(`/api/v1/repos/${repoId}`)).text());
    for (const f of forms) expect(shown.includes(f), 'an API answer contains the secret').toBe(false);

    const ref = `docker://${image}:latest`;
    const { stdout: config } = await run('skopeo', ['inspect', '--config', '--tls-verify=false', ref]);
    expect(JSON.parse(config).architecture).toBe('amd64');
    for (const f of forms) expect(config.includes(f), 'the image config contains the secret').toBe(false);

    // Every layer's files: the hash the step wrote is there, the value nowhere.
    const dir = join(root, 'pulled');
    await run('skopeo', ['copy', '--src-tls-verify=false', ref, `dir:${dir}`]);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { layers: { digest: string }[] };
    expect((await readdir(dir)).length).toBeGreaterThan(manifest.layers.length);
    let files = '';
    for (const layer of manifest.layers) {
      const blob = join(dir, layer.digest.replace(/^sha256:/, ''));
      files += (await run('tar', ['-xOf', blob], { maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' })).stdout;
    }
    expect(files).toContain(hash);
    for (const f of forms) expect(files.includes(f), 'a layer contains the secret').toBe(false);
  }, 240_000);
});
