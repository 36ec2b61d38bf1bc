import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { testPrefix } from '../../../test/support/redis.ts';
import { buildOnFreshAgent, pushBaseImage, registriesConf } from '../test/base-image.ts';
import { buildQueue, makeRepo, LINUX_AMD64 } from '../test/support.ts';

const PLATFORM = LINUX_AMD64;

/**
 * The recommended pull-through cache, as shipped (deploy/single-host/registry-cache.yml): a `docker-registry`
 * in proxy mode in front of an upstream (Docker Hub in real life, a loopback registry here),
 * named as the upstream's mirror in the agents' registries.conf. Once the upstream is gone, a
 * fresh agent (empty storage) still builds from what the cache kept.
 */
describe('base images through a pull-through cache (docker-registry proxy mode)', () => {
  const prefix = testPrefix();
  let dir: string;
  let upstream: TestRegistry;
  let cache: TestRegistry;
  let queue: Queue;
  let conf: string;
  let storeDir: string;
  let repo: { url: string; commit: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'pull-through-'));
    upstream = await startRegistry({ dir: join(dir, 'upstream') });
    await pushBaseImage(`${upstream.host}/library/base:1`);
    // The config we ship (deploy/single-host/registry-cache.yml), pointed at the loopback upstream.
    const shipped = parse(await readFile(fileURLToPath(new URL('../../../deploy/single-host/registry-cache.yml', import.meta.url)), 'utf8'));
    expect(shipped.proxy.remoteurl).toBe('https://registry-1.docker.io');
    cache = await startRegistry({
      dir: join(dir, 'cache'),
      config: (addr, data) =>
        stringify({
          ...shipped,
          http: { ...shipped.http, addr },
          storage: { ...shipped.storage, filesystem: { rootdirectory: data } },
          proxy: { remoteurl: `http://${upstream.host}` },
        }),
    });
    conf = join(dir, 'registries.conf');
    await writeFile(conf, registriesConf([cache.host], { of: upstream.host, at: cache.host }));
    queue = buildQueue(prefix, PLATFORM);
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    repo = await makeRepo({ Containerfile: `FROM ${upstream.host}/library/base:1\nRUN ["/bin/sh", "-c", "echo ok > /ok"]\n` });
  });
  afterAll(async () => {
    await queue?.close();
    await Promise.all([upstream?.stop(), cache?.stop()]);
  });

  const build = async () => (await buildOnFreshAgent({ prefix, queue, storeDir, repo, env: { ARCHWAY_AGENT_REGISTRIES_CONF: conf } })).done;

  it('pulls through the cache, then keeps building from it with the upstream stopped', async () => {
    const first = await build();
    expect(first.failedReason).toBeUndefined();
    // The cache now holds the base image's manifest (it fetched it from the upstream).
    const cached = await fetch(`http://${cache.host}/v2/library/base/tags/list`);
    expect(cached.status).toBe(200);

    await upstream.stop();
    const down = await fetch(`http://${upstream.host}/v2/`).catch((e: Error) => e);
    expect(down).toBeInstanceOf(Error);
    const second = await build();
    expect(second.failedReason).toBeUndefined();
  });
});
