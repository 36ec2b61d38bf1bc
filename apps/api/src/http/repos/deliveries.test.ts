import { afterAll, beforeAll, describe, it } from 'vitest';
import { apiFixture, makeGitRepo, registerRepo, type ApiFixture } from '../../testing/fixture.ts';
import { expectBadPagesRefused, expectKeysetPages } from '../../testing/pages.ts';

// GET /api/v1/repos/:id/deliveries: every delivery is kept, so the log is read in keyset pages.
describe('GET /api/v1/repos/:id/deliveries', () => {
  let f: ApiFixture;
  let url: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    const git = await makeGitRepo(f.tmp);
    const repo = await registerRepo(f, {
      fullName: 'acme/pages',
      provider: 'github',
      cloneUrl: git.url,
      platforms: ['linux/amd64'],
    });
    url = `/api/v1/repos/${repo.id}/deliveries`;
    let n = 0;
    make = (createdAt) =>
      f.prisma.webhookDelivery.create({ data: { source: 'github', deliveryId: `d-${++n}`, event: 'push', repoId: repo.id, result: 'queued', createdAt } });
    newestFirst = () => f.prisma.webhookDelivery.findMany({ where: { repoId: repo.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  });
  afterAll(async () => f?.close());
  let make: (createdAt: Date) => Promise<{ id: string }>;
  let newestFirst: () => Promise<{ id: string }[]>;

  it('pages newest first: no duplicates, no gaps, deliveries arriving meanwhile shift nothing', async () => {
    await expectKeysetPages(f, url, make, newestFirst);
  });

  it('answers 400 naming limit or cursor when they are bad, and changes nothing', async () => {
    await expectBadPagesRefused(f, url, () => f.prisma.webhookDelivery.count());
  });
});
