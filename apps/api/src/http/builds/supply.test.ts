import { BuildRequest } from '@archway/contract';
import { describe, expect, it } from 'vitest';
import { publishSupply } from './supply.ts';
import { withCommit } from './stored-request.ts';

const request = withCommit(
  BuildRequest.parse({
    source: { url: 'https://git.test/me/app.git', ref: 'v1.2.3' },
    image: 'r.test/me/app',
    tags: ['1.2.3'],
    buildArgs: { TOKEN: 's3cr3t', A: '1' },
  }),
  'c'.repeat(40),
);

describe('publishSupply (what the merger learns about a build)', () => {
  it('names build args without their values, and takes the version from a version tag', () => {
    const s = publishSupply('https://archway.test', request, { secrets: [], title: 'me/app' }, 'tag:v1.2.3');
    expect(s).toEqual({
      attestations: true,
      sign: true,
      builderId: 'https://archway.test',
      source: { url: 'https://git.test/me/app.git', ref: 'v1.2.3', commit: 'c'.repeat(40) },
      containerfile: null,
      context: '.',
      buildArgNames: ['A', 'TOKEN'],
      version: '1.2.3',
      title: 'me/app',
    });
    expect(JSON.stringify(s)).not.toContain('s3cr3t');
    expect(publishSupply('https://archway.test', request, { secrets: [] }, 'tag:nightly').version).toBe('nightly');
    expect(publishSupply('https://archway.test', request, { secrets: [] }, 'branch:main').version).toBeUndefined();
  });

  it('pull requests are never signed; the request or the repository turns attestations off', () => {
    expect(publishSupply('https://archway.test', request, { secrets: [] }, 'pr:12').sign).toBe(false);
    expect(publishSupply('https://archway.test', { ...request, attestations: false }, { secrets: [] }, null).attestations).toBe(false);
    expect(publishSupply('https://archway.test', request, { secrets: [], attestations: false }, null).attestations).toBe(false);
    expect(publishSupply('https://archway.test', request, { secrets: [], attestations: true }, null).attestations).toBe(true);
  });
});
