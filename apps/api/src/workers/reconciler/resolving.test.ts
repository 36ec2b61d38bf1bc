import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOLVE_QUEUE } from '@archway/contract';
import { makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { publishJob, reconcileFixture, sweep } from './test-support.ts';

let f: ApiFixture;
let repo: { url: string; commit: string };

beforeAll(async () => {
  f = await reconcileFixture();
  repo = await makeGitRepo(f.tmp);
});
afterAll(async () => f?.close());

describe('reconciler: builds stuck in resolving', () => {
  it('queues the resolve job of a build accepted without one again, once, after the grace period; the resolver then queues it', async () => {
    // As acceptBuild writes it, but the API died before the resolve job reached Redis.
    const request = { source: { url: repo.url, ref: 'main' }, context: '.', platforms: ['linux/amd64'], tags: [], buildArgs: {}, push: false };
    const build = await f.prisma.build.create({
      data: { status: 'resolving', sourceUrl: repo.url, ref: 'main', platforms: ['linux/amd64'], tags: [], push: false, request },
    });
    expect((await sweep(f, { graceMs: 3_600_000 })).requeuedResolves).toBe(0); // the API may still be adding it
    expect(await f.queues.queue(RESOLVE_QUEUE).getJob(build.id)).toBeUndefined();

    expect((await sweep(f)).requeuedResolves).toBe(1);
    const done = await resolved(f, build.id);
    expect(done).toMatchObject({ status: 'queued', commit: repo.commit });
    expect(done.tasks.map((t) => t.platform)).toEqual(['linux/amd64']);
    expect(await publishJob(f, build.id)).toBeDefined();
    expect((await sweep(f)).requeuedResolves).toBe(0);
  });
});
