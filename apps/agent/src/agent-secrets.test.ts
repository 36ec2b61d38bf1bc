import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { objectKeys } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { buildSecretKey, FsObjectStore, sealBuildSecret } from '@archway/runtime';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, tarFiles, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import type { AgentConfig } from './env.ts';
import { createLogger } from './log.ts';
import { capture } from './task/spawn.ts';
import { storageArgs } from './task/buildah.ts';
import { writeSecretFiles } from './task/secrets.ts';

const PLATFORM = LINUX_AMD64;
const KEY_TEXT = 'agent-secret-key-for-tests-0123456789abcdef';

describe('build secrets', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let store: FsObjectStore;
  let config: AgentConfig;
  let agent: AgentHandle;
  const agentLog: string[] = [];
  const value = `hunter2-${randomBytes(12).toString('hex')}`;
  const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64').replace(/=+$/, '')];

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    store = new FsObjectStore(storeDir);
    config = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_SECRET_KEY: KEY_TEXT });
    agent = await startAgent(config, { log: createLogger((l) => agentLog.push(l)) });
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  it('reach `RUN --mount=type=secret` and nowhere else: not in logs, events, job data, image config, history or layers', async () => {
    const repo = await makeRepo({
      Containerfile:
        'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\n' +
        'RUN --mount=type=secret,id=token busybox cat /run/secrets/token && echo && busybox base64 /run/secrets/token && busybox test -s /run/secrets/token && echo has-secret > /proof\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    job.secrets = [{ id: 'token', sealed: sealBuildSecret(buildSecretKey(KEY_TEXT), job.taskId, 'token', value) }];
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toBeUndefined();

    const leaks = (what: string, text: string) => {
      for (const f of forms) expect(text.includes(f), `${what} contains the secret (${f === value ? 'plain' : 'base64'})`).toBe(false);
    };
    // Redis only ever held it sealed.
    leaks('job data', JSON.stringify((await queue.getJob(job.taskId))!.data));
    const live = (await redis.xrange(redisKeys(prefix).log(job.taskId), '-', '+')).map(([, f]) => f.join(' ')).join('\n');
    leaks('live log', live);
    expect(live).toContain('***'); // the step printed it, masked
    leaks('events', (await redis.xrange(redisKeys(prefix).events, '-', '+')).map(([, f]) => f.join(' ')).join('\n'));
    const stored = (await buffer(await store.get(objectKeys.log(job.buildId, PLATFORM)))).toString('utf8');
    leaks('stored log', stored);
    expect(stored).toContain('archway: build secrets: token (values masked in this log)');
    leaks("agent's own log", agentLog.join('\n'));

    // The image: every blob of the archive (manifest, config with history) and every file of every layer.
    const archive = await tarFiles(await buffer(await store.get(objectKeys.archive(job.buildId, PLATFORM))));
    let proof = false;
    for (const [name, blob] of archive) {
      leaks(name, blob.toString('latin1'));
      if (blob[0] === 0x1f && blob[1] === 0x8b) {
        for (const [file, content] of await tarFiles(gunzipSync(blob))) {
          // buildah leaves the empty mount point directory `run/secrets/`, never the file.
          expect(file).not.toMatch(/run\/secrets\/./);
          leaks(`${name}:${file}`, content.toString('latin1'));
          if (file.endsWith('proof')) proof = content.toString() === 'has-secret\n';
        }
      }
    }
    expect(proof).toBe(true); // the step did see the secret
    // The image in the agent's storage, as `buildah inspect` shows it (config and history).
    const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: PLATFORM, isolation: config.isolation };
    const images = await capture('buildah', [...storageArgs(settings), 'images', '--quiet', '--all', '--no-trunc']);
    for (const id of images.lines.filter(Boolean)) {
      const inspect = await capture('buildah', [...storageArgs(settings), 'inspect', '--type', 'image', id]);
      expect(inspect.code).toBe(0);
      leaks(`buildah inspect ${id}`, inspect.lines.join('\n'));
    }
    // The secret files went with the task.
    expect(await readdir(join(config.dataDir, 'work'))).toEqual([]);
  });

  it('fails for good, without retry, when the agent cannot open the secret', async () => {
    const repo = await makeRepo({ Containerfile: 'FROM scratch\nCOPY Containerfile /\n' });
    const job = buildJob(PLATFORM, repo);
    job.secrets = [{ id: 'token', sealed: sealBuildSecret(buildSecretKey('another-key-another-key-another-key'), job.taskId, 'token', value) }];
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toBe(`build secret "token" cannot be opened: this agent's ARCHWAY_AGENT_SECRET_KEY differs from the API's`);
    expect(done.attemptsMade).toBe(1);
  });

  it('writes secret files 0600 in a 0700 directory, named by number', async () => {
    const dir = join(await mkdtemp(join(inject('tmpRoot'), 'secrets-')), 'secrets');
    const files = await writeSecretFiles(dir, [{ id: '../escape', value: 'x' }]);
    expect(files).toEqual([{ id: '../escape', path: join(dir, '0') }]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(files[0]!.path)).mode & 0o777).toBe(0o600);
  });
});
