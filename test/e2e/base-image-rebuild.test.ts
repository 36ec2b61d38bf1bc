import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BuildList, WatchedBaseImageList } from '@archway/contract';
import { waitFor } from '../support/wait.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { insecureRegistriesConf, pushBaseImage } from '../harness/base-image.ts';
import type { Stack } from '../harness/stack.ts';
import { startSuiteStack } from '../harness/suite-stack.ts';

// The whole loop with real parts: a base image in a real registry, an agent that builds FROM it
// and records its digest, the API's watcher polling the registry, and a re-pushed base that
// queues a rebuild of the dependent branch.
describe('rebuild when a base image changes', () => {
  let stack: Stack;
  let root: string;
  const registry = inject('registryHost');
  const base = `${registry}/library/base-${Date.now()}:1`;

  beforeAll(async () => {
    root = await mkdtemp(join(inject('tmpRoot'), 'base-watch-'));
    const conf = await insecureRegistriesConf(root, registry);
    stack = await startSuiteStack(root, ['linux/amd64'], { ARCHWAY_BASE_WATCH_INTERVAL: '1s', ARCHWAY_AGENT_REGISTRIES_CONF: conf });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await stack.api(path, init);
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };

  it('records the base digest, and queues a base-image build of the branch when the base is re-pushed', async () => {
    const first = await pushBaseImage(join(root, 'base-1'), base, 'one\n');
    const git = await makeGitRepo(join(root, 'app'), { Containerfile: `FROM ${base}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const repo = await json<{ id: string }>('/api/v1/repos', {
      method: 'POST',
      body: JSON.stringify({ fullName: 'acme/app', provider: 'github', cloneUrl: git.url, platforms: ['linux/amd64'], rebuildOnBaseChange: true }),
    });
    const created = await json<{ id: string }>(`/api/v1/repos/${repo.id}/builds`, { method: 'POST', body: '{}' });
    const built = await stack.waitForFinal(created.id);
    expect(built.status, JSON.stringify(built, null, 2)).toBe('succeeded');
    expect(built.tasks[0]!.baseImages).toEqual([{ reference: base, digest: first }]);

    const second = await pushBaseImage(join(root, 'base-2'), base, 'two\n');
    expect(second).not.toBe(first);
    const rebuild = await waitFor(
      async () => (await json<BuildList>(`/api/v1/builds?repoId=${repo.id}`)).items.find((b) => b.trigger === 'base-image'),
      'a base-image build of main',
      60_000,
    );
    expect(rebuild).toMatchObject({ triggerRef: 'branch:main', reason: `base image ${base} changed (${first} → ${second})` });
    expect(rebuild.source.commit).toBe(git.commit);
    // The rebuild builds on the new base, after which nothing is stale: no second rebuild.
    const done = await stack.waitForFinal(rebuild.id);
    expect(done.tasks[0]!.baseImages).toEqual([{ reference: base, digest: second }]);
    // Wait for a poll after the rebuild finished: it sees the new digest in use and queues nothing.
    await waitFor(async () => {
      const { items } = await json<WatchedBaseImageList>('/api/v1/base-images');
      const watched = items.find((w) => w.reference === base);
      return watched?.digest === second && watched.checkedAt !== null && watched.checkedAt > done.finishedAt!;
    }, 'a poll after the rebuild');
    const all = (await json<BuildList>(`/api/v1/builds?repoId=${repo.id}`)).items;
    expect(all.filter((b) => b.trigger === 'base-image')).toHaveLength(1);
  });
});
