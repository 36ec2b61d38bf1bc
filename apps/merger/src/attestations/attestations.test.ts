import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { objectKeys, type BuildResult, type PublishJob, type PublishSupply } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FinalPublishError } from '../errors.ts';
import { publishBuild } from '../publish.ts';
import { RegistryPool } from '../registry/index.ts';
import { resultFor, writeTestArchive } from '../test-support/oci-archive.ts';
import { AMD64 } from '../test-support/platforms.ts';
import { skopeoRaw, skopeoTagExists } from '../test-support/tools.ts';

const supply: PublishSupply = {
  attestations: true,
  sign: false,
  builderId: 'https://archway.test',
  source: { url: 'https://bot:tok3n@git.test/me/app.git', ref: 'main', commit: 'c'.repeat(40) },
  containerfile: null,
  context: '.',
  buildArgNames: ['VERSION'],
};

let host: string;
let store: FsObjectStore;

beforeAll(async () => {
  host = inject('registryHost');
  store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'attest-')));
});

/** One amd64 archive with an SBOM where the agent leaves it, and its BuildResult. */
async function built(buildId: string, repo: string): Promise<BuildResult> {
  const archive = await writeTestArchive(store, `${repo}/amd64.tar`, { platform: { os: 'linux', architecture: 'amd64' } });
  const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }));
  const put = await store.put(objectKeys.sbom(buildId, AMD64), Readable.from([sbom]));
  const now = new Date().toISOString();
  return {
    ...resultFor(archive, AMD64, 'task-a'),
    supply: {
      sbomKey: objectKeys.sbom(buildId, AMD64),
      sbomDigest: put.digest,
      packages: 0,
      sbomStatus: 'missing',
      generator: 'archway-sbom-1',
      baseImages: [],
      agent: 'agent-1',
      attempt: 1,
      startedOn: now,
      finishedOn: now,
    },
  };
}

describe('attestations in the published index', () => {
  it('the same archive and build publish the same bytes again (a retried publish, an early push)', async () => {
    const repo = `me/attest-${randomUUID().slice(0, 8)}`;
    const buildId = randomUUID();
    const result = await built(buildId, repo);
    const job: PublishJob = { buildId, image: `${host}/${repo}`, tags: ['1.0'], push: true, platforms: [AMD64], supply };
    const pool = new RegistryPool({ authFile: null, insecureRegistries: [host] });
    try {
      const first = await publishBuild({ store, registries: pool, job, results: [result] });
      const again = await publishBuild({ store, registries: pool, job, results: [result] });
      expect(again.indexDigest).toBe(first.indexDigest);
      expect(first.images[0]!.digest).not.toBe(result.manifestDigest); // annotated: a new digest
      const manifest = await skopeoRaw(`${host}/${repo}@${first.images[0]!.digest}`);
      // The clone URL's credentials never reach an annotation.
      expect(manifest.annotations['org.opencontainers.image.source']).toBe('https://git.test/me/app.git');
      expect(first.supplyChain).toMatchObject({ signature: null, unsignedReason: 'the merger has no signing key (ARCHWAY_SIGNING_KEY)' });
    } finally {
      await pool.close();
    }
  });
});

// A stand-in for an old registry (such registries cannot run here): a loopback proxy in front of
// the real docker-registry that answers the distribution API's MANIFEST_INVALID to any manifest
// PUT naming an in-toto layer or an `unknown` platform, and forwards everything else unchanged.
describe('a registry that refuses attestation manifests (stand-in proxy speaking the registry API)', () => {
  let proxy: Server;
  let proxyHost: string;
  beforeAll(async () => {
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? '') && /vnd\.in-toto\+json|"os":"unknown"/.test(body.toString())) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: 'unsupported platform unknown/unknown' }] }));
          return;
        }
        const [h, p] = host.split(':');
        const headers = { ...req.headers, host };
        const out = request({ host: h, port: Number(p), method: req.method, path: req.url, headers }, (up) => {
          const location = up.headers.location?.replace(`//${host}/`, `//${proxyHost}/`);
          res.writeHead(up.statusCode ?? 502, { ...up.headers, ...(location ? { location } : {}) });
          up.pipe(res);
        });
        out.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it('fails the publish naming what was refused and the switch that avoids it, with no tag written', async () => {
    const repo = `me/old-${randomUUID().slice(0, 8)}`;
    const buildId = randomUUID();
    const result = await built(buildId, repo);
    const pool = new RegistryPool({ authFile: null, insecureRegistries: [proxyHost] });
    try {
      const job: PublishJob = { buildId, image: `${proxyHost}/${repo}`, tags: ['latest'], push: true, platforms: [AMD64], supply };
      const err = await publishBuild({ store, registries: pool, job, results: [result] }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(FinalPublishError);
      expect(err!.message).toMatch(new RegExp(`^${proxyHost}/${repo} refused the attestation manifest of linux/amd64: .*MANIFEST_INVALID`));
      expect(err!.message).toContain('set "attestations": false on the build request, or the repository setting "attestations": false');
      expect(await skopeoTagExists(`${host}/${repo}:latest`)).toBe(false);

      // With the switch off, the same registry takes the build.
      const off = await publishBuild({ store, registries: pool, job: { ...job, supply: { ...supply, attestations: false } }, results: [result] });
      expect((await skopeoRaw(`${host}/${repo}:latest`)).manifests).toHaveLength(1);
      expect(off.supplyChain?.attestations[0]?.attestationDigest).toBeNull();
    } finally {
      await pool.close();
    }
  });
});
