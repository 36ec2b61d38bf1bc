import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE } from '@archway/contract';
import { makeGitRepo, type ApiFixture } from '../../testing/fixture.ts';
import { runSweep, type SweepPosition } from './sweep.ts';
import { finalBuild, postBuild, reconcileFixture, startFirstTask, sweepDeps } from './test-support.ts';

let f: ApiFixture;
let repoUrl: string;
beforeAll(async () => {
  f = await reconcileFixture();
  repoUrl = (await makeGitRepo(f.tmp)).url;
});
afterAll(async () => f?.close());

describe('reconciler: a backlog longer than one sweep', () => {
  it('goes on where the last sweep stopped, so a lost build behind the oldest ones is still found', async () => {
    // Three healthy queued builds (no agent of the platform), then a newer one that lost its jobs.
    for (let i = 0; i < 3; i++) await postBuild(f, repoUrl, ['linux/s390x']);
    const lost = await postBuild(f, repoUrl, ['linux/s390x']);
    await startFirstTask(f, lost, 'z');
    expect(await f.queues.queue(PUBLISH_QUEUE).remove(lost.id, { removeChildren: true })).toBe(1);

    // Two builds per sweep: from the oldest every time, the lost build is never reached.
    expect((await runSweep(sweepDeps(f), undefined, {}, 2)).lostBuilds).toBe(0);
    expect((await runSweep(sweepDeps(f), undefined, {}, 2)).lostBuilds).toBe(0);
    // With the reconciler's position: the second sweep takes the next two, the lost one among them.
    const position: SweepPosition = {};
    expect((await runSweep(sweepDeps(f), undefined, position, 2)).lostBuilds).toBe(0);
    expect((await runSweep(sweepDeps(f), undefined, position, 2)).lostBuilds).toBe(1);
    expect((await finalBuild(f, lost.id)).status).toBe('failed');
    // Past the end it wraps around to the oldest: the three healthy ones are looked at again, left as they are.
    expect(await runSweep(sweepDeps(f), undefined, position, 2)).toMatchObject({ lostBuilds: 0, requeuedFlows: 0 });
    expect(position.after).toBeDefined();
    expect(await f.prisma.build.count({ where: { status: 'queued' } })).toBe(3);
  });
});
