import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@archway/runtime';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { queueRedisArgs, startRedisServer } from '../support/throwaway-redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { listTags, seconds, slowRepoFiles, submitBuild, waitForRunning } from './support.ts';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const MASTER = 'archway';

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Fault: a Redis Sentinel set (a primary, a replica, three sentinels — Debian's redis-server in
// sentinel mode) fails over in the middle of a two-platform build. Every process reaches Redis
// through REDIS_URL=redis+sentinel://…; after the primary is SIGKILLed they follow the sentinels to
// the promoted replica. The build ends — published, or (if the failover lost a job's last writes)
// failed with a reason by the reconciler — and never stays open.
describe('fault: Redis Sentinel failover mid-build', () => {
  let stack: Stack;
  const procs: ChildProcess[] = [];
  let primary: ChildProcess;
  let primaryPort: number;
  let replicaPort: number;
  let sentinelPorts: number[];
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'fault-sentinel-'));
    [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const node = async (name: string, port: number, extra: string[]) => {
      const dir = join(root, name);
      await mkdir(dir, { recursive: true });
      const p = await startRedisServer(queueRedisArgs(port, dir, extra));
      procs.push(p);
      return p;
    };
    primary = await node('primary', primaryPort, []);
    await node('replica', replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
    sentinelPorts = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of sentinelPorts.entries()) {
      const conf = join(root, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${root}`,
          `sentinel monitor ${MASTER} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${MASTER} 1000`,
          `sentinel failover-timeout ${MASTER} 5000`,
          `sentinel parallel-syncs ${MASTER} 1`,
          '',
        ].join('\n'),
      );
      procs.push(await startRedisServer([conf, '--sentinel']));
    }
    // A failover needs the sentinels to know the replica and each other.
    const s0 = new Redis(sentinelPorts[0]!, '127.0.0.1');
    await until('the sentinels to see the replica and each other', async () => {
      const replicas = (await s0.call('SENTINEL', 'REPLICAS', MASTER)) as unknown[];
      const others = (await s0.call('SENTINEL', 'SENTINELS', MASTER)) as unknown[];
      return replicas.length === 1 && others.length === 2;
    });
    s0.disconnect();
    repo = await makeGitRepo(join(root, 'repo'), slowRepoFiles(6));
    const url = `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER}`;
    stack = await startStack({ root, databaseUrl: await createTestDatabase(), redisUrl: url, prefix: testPrefix(), registryHost: registry, agents: PLATFORMS });
  });

  afterAll(async () => {
    await stack?.stop();
    for (const p of procs) p.kill('SIGKILL');
  });

  it('follows the promoted replica; the build ends and is not left open', { timeout: 300_000 }, async () => {
    const id = await submitBuild(stack, {
      source: { url: repo.url, ref: 'main' },
      platforms: PLATFORMS,
      image: `${registry}/fault/sentinel`,
      tags: ['1.0', 'latest'],
    });
    await waitForRunning(stack, id);
    const killedAt = Date.now();
    primary.kill('SIGKILL');
    const sentinel = new Redis(sentinelPorts[1]!, '127.0.0.1');
    await until('the sentinels to promote the replica', async () => {
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)) as string[];
      return Number(addr[1]) === replicaPort;
    });
    sentinel.disconnect();
    const promotedAfter = Date.now() - killedAt;
    const build = await stack.waitForFinal(id, 240_000);
    console.log(
      `fault sentinel-failover: replica promoted ${seconds(promotedAfter)} after the kill; build ${build.status} ${seconds(Date.now() - killedAt)} after it`,
    );
    const tags = (await listTags(registry, 'fault/sentinel')).sort();
    if (build.status === 'succeeded') expect(tags).toEqual(['1.0', 'latest']);
    else {
      // Only a failover that lost a job's last writes may end it otherwise, with a reason and no tag.
      expect(build.status).toBe('failed');
      expect(build.error).toBeTruthy();
      expect(tags).toEqual([]);
    }
  });
});
