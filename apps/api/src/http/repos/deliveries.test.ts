import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { BAD_PAGE_QUERIES, readAllPages } from '../../testing/pages.ts';

// GET /api/v1/repos/:id/deliveries: every delivery is kept, so the log is read in keyset pages.
describe('GET /api/v1/repos/:id/deliveries', () => {
  let f: ApiFixture;
  let repoId: string;
  let n = 0;
  const deliver = (createdAt = new Date()) =>
    f.prisma.webhookDelivery.create({ data: { source: 'github', deliveryId: `d-${++n}`, event: 'push', repoId, result: 'queued', createdAt } });

  beforeAll(async () => {
    f = await apiFixture();
    const repo = await f.prisma.repo.create({
      data: {
        fullName: 'acme/pages',
        provider: 'github',
        cloneUrl: 'https://git.example.com/acme/pages.git',
        platforms: ['linux/amd64'],
        webhookSecret: 'sealed',
      },
    });
    repoId = repo.id;
  });
  afterAll(async () => f?.close());

  it('pages newest first: no duplicates, no gaps, deliveries arriving meanwhile shift nothing', async () => {
    const tie = new Date(Date.now() - 60_000);
    for (let i = 0; i < 3; i++) await deliver(tie);
    for (let i = 0; i < 4; i++) await deliver(new Date(Date.now() - 30_000 + i));
    const before = await f.prisma.webhookDelivery.findMany({ where: { repoId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    const added: string[] = [];
    const seen = await readAllPages(f, `/api/v1/repos/${repoId}/deliveries`, 2, async () => {
      added.push((await deliver()).id);
    });
    expect(seen).toEqual(before.map((d) => d.id));
    for (const id of added) expect(seen).not.toContain(id);
  });

  it('answers 400 naming limit or cursor when they are bad, and changes nothing', async () => {
    const count = await f.prisma.webhookDelivery.count();
    for (const [query, field] of BAD_PAGE_QUERIES) {
      const res = await f.app.inject({ url: `/api/v1/repos/${repoId}/deliveries?${query}`, headers: f.auth });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().field, query).toBe(field);
    }
    expect(await f.prisma.webhookDelivery.count()).toBe(count);
  });
});
