import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { platformSlug } from '@archway/contract';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { buildOnFreshAgent, registriesConf } from '../test/base-image.ts';
import { BUSYBOX, buildQueue, makeRepo, readEvents, readLog, LINUX_AMD64 } from '../test/support.ts';

const PLATFORM = LINUX_AMD64;
// A step whose output differs on every run: whoever wrote the cache decides what later builds get.
const CONTAINERFILE =
  'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox head -c 64 /dev/urandom | /bin/busybox sha256sum > /random"]\n';

/**
 * The layer cache shared by agents: buildah --cache-to / --cache-from against a real
 * docker-registry, every build on a fresh agent (empty storage), as when agents scale from zero.
 */
describe('a layer cache shared by agents', () => {
  const prefix = testPrefix();
  let dir: string;
  let redis: Redis;
  let queue: Queue;
  let storeDir: string;
  let conf: string;
  let refusing: TestRegistry;
  const registry = inject('registryHost');
  const base = `${registry}/cache-${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'shared-cache-'));
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    // A registry that refuses the agent's pushes (it has no account there).
    await writeFile(join(dir, 'htpasswd'), `someone-else:${bcrypt.hashSync('x', 8)}\n`);
    refusing = await startRegistry({ dir: join(dir, 'refusing'), extraConfig: `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n` });
    conf = join(dir, 'registries.conf');
    await writeFile(conf, registriesConf([registry, refusing.host]));
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await refusing?.stop();
  });

  async function build(repo: { url: string; commit: string }, cache: { scope: string; write: boolean }, env: Record<string, string> = {}) {
    const { job, done } = await buildOnFreshAgent({
      prefix,
      queue,
      storeDir,
      repo,
      env: { ARCHWAY_AGENT_REGISTRIES_CONF: conf, ARCHWAY_AGENT_CACHE_REPO: base, ...env },
      job: { cache },
    });
    expect(done.failedReason).toBeUndefined();
    const events = await readEvents(redis, prefix, job.taskId);
    // Step 1 (FROM scratch) has nothing to build: always `cached`.
    const steps = events.flatMap((e) => (e.type === 'phase.ended' && e.name.startsWith('step ') ? [e.cached] : []));
    const phases = events.flatMap((e) => (e.type === 'phase.started' ? [e.name] : []));
    const log = (await readLog(redis, prefix, job.taskId)).map((l) => l.line ?? '');
    return { digest: done.returnvalue.manifestDigest as string, steps: steps.slice(1), phases, log };
  }
  const cacheTags = async (scope: string) => {
    const res = await fetch(`http://${base.split('/')[0]}/v2/${base.split('/').slice(1).join('/')}/${scope}/${platformSlug(PLATFORM)}/tags/list`);
    return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []);
  };

  it('a fresh agent takes every step from the cache another agent wrote', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE, busybox: { copy: BUSYBOX } });
    const cold = await build(repo, { scope: 'shared', write: true });
    expect(cold.steps).toEqual([false, false]);
    expect((await cacheTags('shared')).length).toBeGreaterThanOrEqual(2);
    const warm = await build(repo, { scope: 'shared', write: true });
    expect(warm.steps).toEqual([true, true]);
    expect(warm.digest).toBe(cold.digest);
  });

  it('a pull request build reads the cache but never writes it: a later main build is not changed by it', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE.replace('64', '65'), busybox: { copy: BUSYBOX } });
    const pr = await build(repo, { scope: 'guarded', write: false });
    expect(pr.log).toContain(`archway: remote cache ${base}/guarded/${platformSlug(PLATFORM)} (read only: this build never writes it)`);
    expect(await cacheTags('guarded')).toEqual([]);
    const main = await build(repo, { scope: 'guarded', write: true });
    expect(main.steps).toEqual([false, false]); // nothing of the PR's was there to take
    expect(main.digest).not.toBe(pr.digest);
    const tags = await cacheTags('guarded');
    const prAgain = await build(repo, { scope: 'guarded', write: false });
    expect(prAgain.steps).toEqual([true, true]); // the PR reads main's layers
    expect(await cacheTags('guarded')).toEqual(tags);
    const mainAgain = await build(repo, { scope: 'guarded', write: true });
    expect(mainAgain.digest).toBe(main.digest);
  });

  it('a cache registry that is down fails nothing: said once, as a phase, and the build goes on without it', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE.replace('64', '66'), busybox: { copy: BUSYBOX } });
    const down = await build(repo, { scope: 'down', write: true }, { ARCHWAY_AGENT_CACHE_REPO: '127.0.0.1:9/archway-cache' });
    expect(down.phases.filter((p) => p.startsWith('remote cache unavailable'))).toEqual(['remote cache unavailable']);
    expect(down.log.filter((l) => l.includes('remote cache'))).toEqual([
      'archway: remote cache 127.0.0.1:9/archway-cache/down/linux-amd64 unavailable: 127.0.0.1:9 does not answer (ECONNREFUSED); building with the local cache only',
    ]);
  });

  it('a cache registry that refuses pushes fails nothing: reported once, not per step', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE.replace('64', '67'), busybox: { copy: BUSYBOX } });
    const refused = await build(repo, { scope: 'refused', write: true }, { ARCHWAY_AGENT_CACHE_REPO: `${refusing.host}/archway-cache` });
    expect(refused.phases.filter((p) => p.startsWith('remote cache unavailable'))).toEqual(['remote cache unavailable']);
    const notes = refused.log.filter((l) => l.startsWith('archway: remote cache') && l.includes('refused a push'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`${refusing.host}/archway-cache/refused/linux-amd64 refused a push`);
  });
});
