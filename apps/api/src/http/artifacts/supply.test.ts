import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKeys, parsePlatform } from '@archway/contract';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';

describe('GET /api/v1/builds/:id/sbom/:platform and /provenance/:platform', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('serves the stored documents; a missing one or an unknown platform answers 404 saying which', async () => {
    const build = await f.prisma.build.create({
      data: {
        sourceUrl: 'x',
        ref: 'main',
        commit: 'a'.repeat(40),
        platforms: ['linux/amd64', 'linux/arm64'],
        tags: ['latest'],
        status: 'succeeded',
        tasks: {
          create: [
            { platform: 'linux/amd64', status: 'built' },
            { platform: 'linux/arm64', status: 'built' },
          ],
        },
      },
    });
    const sbom = { spdxVersion: 'SPDX-2.3', packages: [{ name: 'bash' }] };
    await f.objectStore.put(objectKeys.sbom(build.id, parsePlatform('linux/amd64')), Readable.from([Buffer.from(JSON.stringify(sbom))]));
    for (const platform of ['linux-amd64', 'linux%2Famd64', 'amd64']) {
      const res = await f.app.inject({ url: `/api/v1/builds/${build.id}/sbom/${platform}`, headers: f.auth });
      expect(res.statusCode, platform).toBe(200);
      expect(res.headers['content-type']).toBe('application/spdx+json');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${build.id}-linux-amd64.spdx.json"`);
      expect(res.json()).toEqual(sbom);
    }
    const noSbom = await f.app.inject({ url: `/api/v1/builds/${build.id}/sbom/linux-arm64`, headers: f.auth });
    expect(noSbom.statusCode).toBe(404);
    expect(noSbom.json().message).toBe(`build ${build.id} has no SBOM (SPDX 2.3 JSON) for linux/arm64 (written by the agent after the build)`);
    const noProvenance = await f.app.inject({ url: `/api/v1/builds/${build.id}/provenance/amd64`, headers: f.auth });
    expect(noProvenance.statusCode).toBe(404);
    expect(noProvenance.json().message).toMatch(/no SLSA provenance v1 \(in-toto statement\) for linux\/amd64 \(written by the merger when it publishes\)/);
    const other = await f.app.inject({ url: `/api/v1/builds/${build.id}/sbom/linux-s390x`, headers: f.auth });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ field: 'platform', message: expect.stringMatching(/has no platform "linux-s390x"/) });
    const unauthenticated = await f.app.inject({ url: `/api/v1/builds/${build.id}/sbom/linux-amd64` });
    expect(unauthenticated.statusCode).toBe(401);
  });
});
