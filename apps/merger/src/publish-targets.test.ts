import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { objectKeys, type PublishSupply } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { RegistryError, RegistryPool } from './registry/index.ts';
import { htpasswdConfig, writeHtpasswd } from './registry/test-support/htpasswd.ts';
import { publishBuild } from './publish.ts';
import { resultFor, writeTestArchive, type TestArchive } from './test-support/oci-archive.ts';
import { skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { AMD64, ARM64 } from './test-support/platforms.ts';

/**
 * One build, several destinations: the suite's open registry (the image) and a second registry
 * with htpasswd auth where two robot accounts own two namespaces (auths path prefixes).
 */
let dir: string;
let open: string;
let harbor: TestRegistry;
let store: FsObjectStore;
let amd64: TestArchive;
let arm64: TestArchive;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const readOpen = ['--tls-verify=false'];
let readHarbor: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(inject('tmpRoot'), 'publish-targets-'));
  open = inject('registryHost');
  await writeHtpasswd(join(dir, 'htpasswd'), 'team-robot', 'team-pass');
  harbor = await startRegistry({ dir: join(dir, 'harbor'), extraConfig: htpasswdConfig(join(dir, 'htpasswd')) });
  await writeFile(join(dir, 'skopeo.json'), JSON.stringify({ auths: { [harbor.host]: { auth: b64('team-robot:team-pass') } } }));
  readHarbor = ['--tls-verify=false', '--authfile', join(dir, 'skopeo.json')];
  store = new FsObjectStore(join(dir, 'store'));
  amd64 = await writeTestArchive(store, 'amd64.tar', { platform: { os: 'linux', architecture: 'amd64' } });
  arm64 = await writeTestArchive(store, 'arm64.tar', { platform: { os: 'linux', architecture: 'arm64' } });
});
afterAll(() => harbor?.stop());

async function publishTo(targets: string[], auths: Record<string, { auth: string }>) {
  const authFile = join(dir, `${randomUUID()}.json`);
  await writeFile(authFile, JSON.stringify({ auths }));
  const pool = new RegistryPool({ authFile, insecureRegistries: [open, harbor.host], retries: 0 });
  const name = `app-${randomUUID().slice(0, 8)}`;
  const job = { buildId: randomUUID(), image: `${open}/targets/${name}`, targets, tags: ['1.0', 'latest'], push: true, platforms: [AMD64, ARM64] };
  const phases: string[] = [];
  try {
    const out = await publishBuild({
      store,
      registries: pool,
      job,
      results: [resultFor(amd64, AMD64, 'a'), resultFor(arm64, ARM64, 'b')],
      hooks: { targetStarted: (ref) => void phases.push(`start ${ref}`), targetEnded: (ref) => void phases.push(`end ${ref}`) },
    });
    return { name, out, phases };
  } catch (err) {
    return { name, err: err as Error, phases };
  } finally {
    await pool.close();
  }
}

describe('publishing to several push targets', () => {
  it('puts the index and every tag on the image and on each target, each with its own credentials', async () => {
    const { name, out, phases } = await publishTo([`${harbor.host}/team`], { [`${harbor.host}/team`]: { auth: b64('team-robot:team-pass') } });
    expect(out?.indexDigest).toMatch(/^sha256:/);
    for (const [ref, args] of [
      [`${open}/targets/${name}`, readOpen],
      [`${harbor.host}/team/${name}`, readHarbor],
    ] as const) {
      for (const tag of ['1.0', 'latest']) {
        const index = await skopeoRaw(`${ref}:${tag}`, [...args]);
        expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd64.manifestDigest, arm64.manifestDigest]);
      }
    }
    expect(phases).toEqual([`start ${harbor.host}/team/${name}`, `end ${harbor.host}/team/${name}`]);
  });

  it('fails naming the target and what is already published where, moving no tag anywhere', async () => {
    // The credentials cover another namespace only: the target's push is refused.
    const { name, err } = await publishTo([`${harbor.host}/other`], { [`${harbor.host}/team`]: { auth: b64('team-robot:team-pass') } });
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).retryable).toBe(false);
    expect(err!.message).toMatch(new RegExp(`^push target ${harbor.host}/other/${name}: registry ${harbor.host} requires`));
    expect(err!.message).toMatch(new RegExp(`\\(index sha256:[0-9a-f]{64} already published to ${open}/targets/${name}; no tag moved anywhere\\)$`));
    expect(await skopeoTagExists(`${open}/targets/${name}:latest`, readOpen)).toBe(false);
    expect(await skopeoTagExists(`${open}/targets/${name}:1.0`, readOpen)).toBe(false);
  });

  it('copies the attestation manifests the index lists, so each target holds the very same index', async () => {
    const buildId = randomUUID();
    const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }));
    const put = await store.put(objectKeys.sbom(buildId, AMD64), Readable.from([sbom]));
    const now = new Date().toISOString();
    const supply: PublishSupply = {
      attestations: true,
      sign: false,
      builderId: 'https://archway.test',
      source: { url: 'https://git.test/me/app.git', ref: 'main', commit: 'c'.repeat(40) },
      containerfile: null,
      context: '.',
      buildArgNames: [],
    };
    const task = { sbomKey: objectKeys.sbom(buildId, AMD64), sbomDigest: put.digest, packages: 0, sbomStatus: 'missing' as const };
    const result = {
      ...resultFor(amd64, AMD64, 'a'),
      supply: { ...task, generator: 'archway-sbom-1', baseImages: [], agent: 'agent-1', attempt: 1, startedOn: now, finishedOn: now },
    };
    const name = `attested-${randomUUID().slice(0, 8)}`;
    const authFile = join(dir, `${randomUUID()}.json`);
    await writeFile(authFile, JSON.stringify({ auths: { [`${harbor.host}/team`]: { auth: b64('team-robot:team-pass') } } }));
    const pool = new RegistryPool({ authFile, insecureRegistries: [open, harbor.host], retries: 0 });
    try {
      const job = { buildId, image: `${open}/targets/${name}`, targets: [`${harbor.host}/team`], tags: ['1.0'], push: true, platforms: [AMD64], supply };
      const out = await publishBuild({ store, registries: pool, job, results: [result] });
      const mine = await skopeoRaw(`${open}/targets/${name}:1.0`, readOpen);
      const theirs = await skopeoRaw(`${harbor.host}/team/${name}:1.0`, readHarbor);
      expect(theirs).toEqual(mine);
      const attestation = out.supplyChain!.attestations[0]!.attestationDigest!;
      expect(mine.manifests.map((m: { digest: string }) => m.digest)).toContain(attestation);
      expect((await skopeoRaw(`${harbor.host}/team/${name}@${attestation}`, readHarbor)).layers).toHaveLength(2);
    } finally {
      await pool.close();
    }
  });
});
