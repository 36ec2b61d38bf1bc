import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore, getFromHelper } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/harness/registry.ts';
import { RegistryError, RegistryPool } from './registry/index.ts';
import { htpasswdConfig, writeAuthFile, writeHtpasswd } from './registry/test-support/htpasswd.ts';
import { publishBuild } from './publish.ts';
import { resultFor, writeTestArchive, type TestArchive } from './test-support/oci-archive.ts';
import { skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { AMD64 } from './test-support/platforms.ts';

/**
 * Push credentials from docker-credential-<name> helpers, as docker and podman run them: small
 * shell scripts written here and put first on the PATH stand in for ecr-login, pass, gcloud….
 */
let dir: string;
let bin: string;
let registry: TestRegistry;
let store: FsObjectStore;
let amd64: TestArchive;
let readBack: string[];
const savedPath = process.env.PATH;
const SECRET = 'helper-s3cret';

async function helper(name: string, body: string): Promise<void> {
  const path = join(bin, `docker-credential-${name}`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(inject('tmpRoot'), 'cred-helpers-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  await writeHtpasswd(join(dir, 'htpasswd'), 'robot', SECRET);
  registry = await startRegistry({ dir: join(dir, 'registry'), extraConfig: htpasswdConfig(join(dir, 'htpasswd')) });
  await writeAuthFile(join(dir, 'skopeo.json'), registry.host, 'robot', SECRET);
  readBack = ['--tls-verify=false', '--authfile', join(dir, 'skopeo.json')];
  // Answers only for our registry, with the registry read from stdin (as docker passes it); logs what it was asked.
  await helper(
    'good',
    `read server; echo "$server" >> ${join(dir, 'asked')}; [ "$server" = "${registry.host}" ] || { echo "credentials not found in native keychain"; exit 1; }; printf '{"ServerURL":"%s","Username":"robot","Secret":"${SECRET}"}' "$server"`,
  );
  await helper('hangs', 'sleep 30');
  await helper('garbage', `echo "not json but it mentions ${SECRET}"`);
  await helper('fails', `echo "${SECRET}" >&2; exit 3`);
  await helper('none', 'echo "credentials not found in native keychain"; exit 1');
  await helper('token', `read server; printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-${SECRET}"}' "$server"`);
  process.env.PATH = `${bin}:${savedPath}`;
  store = new FsObjectStore(join(dir, 'store'));
  amd64 = await writeTestArchive(store, 'amd64.tar', { platform: { os: 'linux', architecture: 'amd64' } });
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await registry?.stop();
});

async function publishWithConfig(config: object, repo: string, credentialHelperTimeoutMs?: number) {
  const authFile = join(dir, `${randomUUID()}.json`);
  await writeFile(authFile, JSON.stringify(config));
  const pool = new RegistryPool({ authFile, insecureRegistries: [registry.host], credentialHelperTimeoutMs });
  try {
    return await publishBuild({
      store,
      registries: pool,
      job: { buildId: randomUUID(), image: `${registry.host}/${repo}`, tags: ['latest'], push: true, platforms: [AMD64] },
      results: [resultFor(amd64, AMD64, 't')],
    });
  } finally {
    await pool.close();
  }
}

describe('push credentials from credential helpers', () => {
  it('pushes with credHelpers[registry], passing the registry on stdin', async () => {
    await publishWithConfig({ credHelpers: { [registry.host]: 'good' }, credsStore: 'garbage' }, 'helpers/per-registry');
    expect((await readFile(join(dir, 'asked'), 'utf8')).split('\n')).toContain(registry.host);
    expect((await skopeoRaw(`${registry.host}/helpers/per-registry:latest`, readBack)).manifests[0].digest).toBe(amd64.manifestDigest);
  });

  it('pushes with credsStore when neither credHelpers nor auths name the registry', async () => {
    await publishWithConfig({ auths: { 'elsewhere.example': { auth: Buffer.from('a:b').toString('base64') } }, credsStore: 'good' }, 'helpers/store');
    expect(await skopeoTagExists(`${registry.host}/helpers/store:latest`, readBack)).toBe(true);
  });

  it('reads an identity token (Username "<token>") and hands Docker Hub its historic server URL', async () => {
    expect(await getFromHelper('token', 'docker.io')).toEqual({ identityToken: `refresh-${SECRET}` });
    await helper('hub-only', `read server; [ "$server" = "https://index.docker.io/v1/" ] || exit 7; printf '{"Username":"u","Secret":"s"}'`);
    expect(await getFromHelper('hub-only', 'docker.io')).toEqual({ username: 'u', password: 's' });
  });

  it('treats "credentials not found" as no credentials: the registry then asks for them', async () => {
    const err = await publishWithConfig({ credsStore: 'none' }, 'helpers/none').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(new RegExp(`^registry ${registry.host} requires Basic credentials for helpers/none`));
  });

  it.each([
    ['missing', 'not-installed', 'docker-credential-not-installed is not installed (not on PATH)'],
    ['hanging', 'hangs', 'did not answer within 1 s'],
    ['garbage-printing', 'garbage', 'printed something that is not the credentials JSON'],
    ['failing', 'fails', 'failed with exit code 3'],
  ])('fails the publish for good on a %s helper, naming helper and registry, never its output', async (_, name, detail) => {
    const err = await publishWithConfig({ credHelpers: { [registry.host]: name } }, 'helpers/bad', 1000).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`for registry ${registry.host}`);
    expect(err.message).toContain('docker-credential-');
    expect(err.message).toContain(detail);
    expect(err.message).not.toContain(SECRET);
    expect(err.stack).not.toContain(SECRET);
    expect(await skopeoTagExists(`${registry.host}/helpers/bad:latest`, readBack)).toBe(false);
  });
});
