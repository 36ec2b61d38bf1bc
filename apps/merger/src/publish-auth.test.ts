import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { PublishJob } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { RegistryError, RegistryPool } from './registry/index.ts';
import { htpasswdConfig, writeAuthFile, writeHtpasswd } from './registry/test-support/htpasswd.ts';
import { makeTestCerts, type TestCerts } from './registry/test-support/tls.ts';
import { publishBuild } from './publish.ts';
import { resultFor, writeTestArchive, type TestArchive } from './test-support/oci-archive.ts';
import { skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { AMD64 } from './test-support/platforms.ts';

let dir: string;
let certs: TestCerts;
let registry: TestRegistry;
let store: FsObjectStore;
let amd64: TestArchive;
let goodAuth: string;
/** skopeo reads back with the same auth file and trusts the test CA through --cert-dir. */
let skopeoArgs: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(inject('tmpRoot'), 'publish-auth-'));
  certs = await makeTestCerts(join(dir, 'certs'));
  await writeHtpasswd(join(dir, 'htpasswd'), 'pusher', 's3cret:with colon');
  registry = await startRegistry({ dir: join(dir, 'registry'), tls: { cert: certs.cert, key: certs.key }, extraConfig: htpasswdConfig(join(dir, 'htpasswd')) });
  goodAuth = join(dir, 'good.json');
  await writeAuthFile(goodAuth, registry.host, 'pusher', 's3cret:with colon');
  await mkdir(join(dir, 'skopeo-certs'));
  await copyFile(certs.caCert, join(dir, 'skopeo-certs', 'ca.crt'));
  skopeoArgs = ['--authfile', goodAuth, '--cert-dir', join(dir, 'skopeo-certs')];
  store = new FsObjectStore(join(dir, 'store'));
  amd64 = await writeTestArchive(store, 'amd64.tar', { platform: { os: 'linux', architecture: 'amd64' } });
});
afterAll(() => registry?.stop());

function job(repo: string): PublishJob {
  return { buildId: randomUUID(), image: `${registry.host}/${repo}`, tags: ['latest'], push: true, platforms: [AMD64] };
}

async function publishWith(pool: RegistryPool, repo: string) {
  try {
    return await publishBuild({ store, registries: pool, job: job(repo), results: [resultFor(amd64, AMD64, 't')] });
  } finally {
    await pool.close();
  }
}

describe('publishing to a registry with htpasswd auth over TLS', () => {
  it('works with credentials from a docker-config auth file and the test CA', async () => {
    const out = await publishWith(new RegistryPool({ authFile: goodAuth, insecureRegistries: [], caFile: certs.caCert }), 'me/app');
    const index = await skopeoRaw(`${registry.host}/me/app:latest`, skopeoArgs);
    expect(index.manifests[0].digest).toBe(amd64.manifestDigest);
    expect(out.indexDigest).toMatch(/^sha256:/);
  });

  it('fails clearly on a wrong password and writes no tag', async () => {
    const badAuth = join(dir, 'bad.json');
    await writeAuthFile(badAuth, registry.host, 'pusher', 'wrong-password');
    const err = await publishWith(new RegistryPool({ authFile: badAuth, insecureRegistries: [], caFile: certs.caCert }), 'me/denied').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(new RegExp(`^registry ${registry.host} refused credentials for me/denied: 401 `));
    expect(err.message).not.toContain('wrong-password');
    expect(await skopeoTagExists(`${registry.host}/me/denied:latest`, skopeoArgs)).toBe(false);
  });

  it('names the auth file when there are no credentials for the registry', async () => {
    const err = await publishWith(new RegistryPool({ authFile: null, insecureRegistries: [], caFile: certs.caCert }), 'me/anon').catch((e) => e);
    expect(err.message).toBe(
      `registry ${registry.host} requires Basic credentials for me/anon; add them for ${registry.host} to the auth file (none found: set REGISTRY_AUTH_FILE)`,
    );
  });

  it('refuses a certificate it does not trust, without retrying', async () => {
    const err = await publishWith(new RegistryPool({ authFile: goodAuth, insecureRegistries: [] }), 'me/untrusted').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(new RegExp(`^registry ${registry.host} presented a certificate we do not trust \\(.+\\); set ARCHWAY_REGISTRY_CA_FILE`));
  });
});
