import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKeys, parsePlatform } from '@archway/contract';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';

describe('GET /api/v1/builds/:id/artifacts/:platform', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('streams a built platform’s archive; other platforms and states answer 404 with a reason', async () => {
    const build = await f.prisma.build.create({
      data: {
        sourceUrl: 'x',
        ref: 'refs/pull/3/head',
        commit: 'a'.repeat(40),
        platforms: ['linux/amd64', 'linux/arm64'],
        tags: [],
        push: false,
        status: 'failed',
        tasks: {
          create: [
            { platform: 'linux/amd64', status: 'built' },
            { platform: 'linux/arm64', status: 'failed' },
          ],
        },
      },
    });
    const bytes = Buffer.alloc(300_000, 7);
    await f.objectStore.put(objectKeys.archive(build.id, parsePlatform('linux/amd64')), Readable.from([bytes]));
    for (const platform of ['linux-amd64', 'linux/amd64', 'linux%2Famd64', 'amd64']) {
      const res = await f.app.inject({ url: `/api/v1/builds/${build.id}/artifacts/${platform}`, headers: f.auth });
      expect(res.statusCode, platform).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-tar');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${build.id}-linux-amd64.tar"`);
      expect(res.rawPayload.equals(bytes)).toBe(true);
    }
    const failed = await f.app.inject({ url: `/api/v1/builds/${build.id}/artifacts/linux-arm64`, headers: f.auth });
    expect(failed.statusCode).toBe(404);
    expect(failed.json().message).toMatch(/task is failed/);
    const other = await f.app.inject({ url: `/api/v1/builds/${build.id}/artifacts/linux-s390x`, headers: f.auth });
    expect(other.statusCode).toBe(404);
    expect(other.json().message).toMatch(/has no platform/);
  });
});
