import { afterAll, beforeAll, describe, it } from 'vitest';
import { apiFixture, makeGitRepo, registerRepo, type ApiFixture } from '../../testing/fixture.ts';
import { expectBadPagesRefused, expectKeysetPages } from '../../testing/pages.ts';

// GET …/notifications/:notificationId/deliveries: one delivery per build and event is kept for as
// long as the notification exists, so the log is read in keyset pages.
describe("GET a notification's deliveries", () => {
  let f: ApiFixture;
  let url: string;
  let notificationId: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    const git = await makeGitRepo(f.tmp);
    const repo = await registerRepo(f, {
      fullName: 'acme/notify',
      provider: 'github',
      cloneUrl: git.url,
      platforms: ['linux/amd64'],
    });
    const hook = await f.prisma.notification.create({
      data: { repoId: repo.id, url: 'https://hooks.example.com/x', events: ['build.failed'], secret: 'sealed' },
    });
    notificationId = hook.id;
    url = `/api/v1/repos/${repo.id}/notifications/${hook.id}/deliveries`;
  });
  afterAll(async () => f?.close());

  it('pages newest first: no duplicates, no gaps, deliveries made meanwhile shift nothing', async () => {
    await expectKeysetPages(
      f,
      url,
      (createdAt) => f.prisma.notificationDelivery.create({ data: { notificationId, event: 'build.failed', buildId: crypto.randomUUID(), createdAt } }),
      () => f.prisma.notificationDelivery.findMany({ where: { notificationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    );
  });

  it('answers 400 naming limit or cursor when they are bad, and changes nothing', async () => {
    await expectBadPagesRefused(f, url, () => f.prisma.notificationDelivery.count());
  });
});
