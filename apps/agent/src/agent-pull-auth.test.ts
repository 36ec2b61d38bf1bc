import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { testPrefix } from '../../../test/support/redis.ts';
import { buildOnFreshAgent, pushBaseImage, registriesConf } from '../test/base-image.ts';
import { buildQueue, makeRepo, LINUX_AMD64 } from '../test/support.ts';

const PLATFORM = LINUX_AMD64;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A private base image on a registry with htpasswd auth (bcrypt): a pull-only robot account can
 * read it, the merger's push account exists too. Agents get the pull file only; the machine's
 * docker config (REGISTRY_AUTH_FILE, ~/.docker) holding the push account is never used.
 */
describe('private base images with pull-only credentials', () => {
  const prefix = testPrefix();
  let dir: string;
  let registry: TestRegistry;
  let queue: Queue;
  let conf: string;
  let storeDir: string;
  const savedEnv = { REGISTRY_AUTH_FILE: process.env.REGISTRY_AUTH_FILE, DOCKER_CONFIG: process.env.DOCKER_CONFIG };

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'pull-auth-'));
    await writeFile(join(dir, 'htpasswd'), `robot-ro:${bcrypt.hashSync('read-only', 8)}\npusher:${bcrypt.hashSync('push-secret', 8)}\n`);
    registry = await startRegistry({ dir: join(dir, 'registry'), extraConfig: `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n` });
    await pushBaseImage(`${registry.host}/private/base:1`, 'pusher:push-secret');
    conf = join(dir, 'registries.conf');
    await writeFile(conf, registriesConf([registry.host]));
    await writeFile(join(dir, 'pull.json'), JSON.stringify({ auths: { [registry.host]: { auth: b64('robot-ro:read-only') } } }), { mode: 0o600 });
    // What a single host's merger reads: in the agent's own environment, it must not help a build.
    await writeFile(join(dir, 'push.json'), JSON.stringify({ auths: { [registry.host]: { auth: b64('pusher:push-secret') } } }), { mode: 0o600 });
    process.env.REGISTRY_AUTH_FILE = join(dir, 'push.json');
    process.env.DOCKER_CONFIG = dir;
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: b64('pusher:push-secret') } } }));
    queue = buildQueue(prefix, PLATFORM);
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) v === undefined ? delete process.env[k] : (process.env[k] = v);
    await queue?.close();
    await registry?.stop();
  });

  async function buildWith(env: Record<string, string>) {
    const repo = await makeRepo({ Containerfile: `FROM ${registry.host}/private/base:1\nRUN ["/bin/sh", "-c", "echo ok > /ok"]\n` });
    return (await buildOnFreshAgent({ prefix, queue, storeDir, repo, env: { ARCHWAY_AGENT_REGISTRIES_CONF: conf, ...env } })).done;
  }

  it("pulls the private base image with ARCHWAY_AGENT_PULL_AUTH_FILE's robot account", async () => {
    const done = await buildWith({ ARCHWAY_AGENT_PULL_AUTH_FILE: join(dir, 'pull.json') });
    expect(done.failedReason).toBeUndefined();
    expect(done.returnvalue.manifestDigest).toMatch(/^sha256:/);
  });

  it('without it, never falls back to the push credentials of the machine', async () => {
    const done = await buildWith({});
    expect(done.failedReason).toMatch(/step 1\/2 "FROM .*private\/base:1" failed: .*unauthorized: authentication required/);
  });
});
