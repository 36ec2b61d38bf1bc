import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Build } from '@archway/contract';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main as cli } from '../../apps/cli/src/main.ts';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { registryReader, sha256Hex, supplySchemas } from '../support/supply-chain.ts';
import { pushDebianBase, type DebianBase } from '../harness/debian-base.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';

const run = promisify(execFile);

// Provenance, SBOM, annotations and the cosign signature of a real build end to end: API, agent and
// merger as separate processes, the Debian base image made with debootstrap as FROM, everything read
// back from the real registry the way skopeo and cosign read it.
describe('supply chain: attestations and signature of a published build', () => {
  let stack: Stack;
  let root: string;
  let base: DebianBase;
  let repoId: string;
  let git: { url: string; commit: string };
  const registry = inject('registryHost');
  const repository = `e2e/supply-${randomBytes(4).toString('hex')}`;
  const image = `${registry}/${repository}`;
  const secret = `supply-secret-${randomBytes(12).toString('hex')}`;
  const argValue = `supply-arg-${randomBytes(12).toString('hex')}`;
  const labelSource = 'https://git.example.invalid/acme/supply-app';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const reader = registryReader(registry, repository);
  const schemas = supplySchemas();

  beforeAll(async () => {
    root = await mkdtemp(join(inject('tmpRoot'), 'e2e-supply-'));
    base = await pushDebianBase({ registryHost: registry, workDir: join(root, 'base') });
    git = await makeGitRepo(join(root, 'repo'), {
      'Plain.Containerfile': `FROM ${base.ref}\nRUN echo plain > /plain.txt\n`,
      Containerfile:
        `FROM ${base.ref}\nARG API_TOKEN\nLABEL org.opencontainers.image.source=${labelSource}\n` +
        'RUN --mount=type=secret,id=token test -s /run/secrets/token && test -n "$API_TOKEN" && echo built > /built.txt\n',
    });
    const conf = join(root, 'registries.conf');
    await writeFile(conf, `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`);
    const keyFile = join(root, 'signing.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: ['linux/amd64'],
      env: {
        ARCHWAY_AGENT_SECRET_KEY: `e2e-agent-key-${randomBytes(16).toString('hex')}`,
        ARCHWAY_AGENT_REGISTRIES_CONF: conf,
        ARCHWAY_SIGNING_KEY_FILE: keyFile,
      },
    });
    const res = await stack.api('/api/v1/repos', {
      method: 'POST',
      body: JSON.stringify({
        fullName: 'acme/supply',
        provider: 'github',
        cloneUrl: git.url,
        image,
        platforms: ['linux/amd64'],
        secrets: { token: secret },
        buildArgs: { API_TOKEN: argValue },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    repoId = ((await res.json()) as { id: string }).id;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const succeeded = async (res: Response): Promise<Build> => {
    expect(res.status, await res.clone().text()).toBe(202);
    const build = await stack.waitForFinal(((await res.json()) as { id: string }).id, 300_000);
    expect(build.status, `${JSON.stringify(build, null, 2)}\n${stack.output.slice(-60).join('\n')}`).toBe('succeeded');
    return build;
  };

  it('publishes annotations, provenance and SBOM attestations and a cosign signature', async () => {
    const build = await succeeded(await stack.api(`/api/v1/repos/${repoId}/builds`, { method: 'POST', body: JSON.stringify({ ref: 'main' }) }));
    const published: string[] = [];
    const index = await reader.raw('latest');
    published.push(index.body.toString());
    expect(`sha256:${sha256Hex(index.body)}`).toBe(build.indexDigest);
    const [platformDesc, attDesc, ...rest] = index.json.manifests;
    expect(rest).toEqual([]);
    expect(platformDesc.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(attDesc.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
    expect(attDesc.annotations).toEqual({ 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': platformDesc.digest });
    // The label in the Containerfile wins over the clone URL; the rest is Archway's.
    expect(index.json.annotations).toMatchObject({
      'org.opencontainers.image.source': labelSource,
      'org.opencontainers.image.revision': git.commit,
      'org.opencontainers.image.title': 'acme/supply',
      'org.opencontainers.image.ref.name': 'latest',
    });
    const manifest = await reader.raw(platformDesc.digest);
    published.push(manifest.body.toString());
    expect(manifest.json.annotations).toMatchObject({
      'org.opencontainers.image.source': labelSource,
      'org.opencontainers.image.revision': git.commit,
      'org.opencontainers.image.base.name': base.ref,
    });
    // The fixture's digest is the registry's: what the provenance's resolvedDependencies must name.
    const { stdout: baseNow } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${base.ref}`]);
    expect(`sha256:${sha256Hex(Buffer.from(baseNow))}`).toBe(base.digest);
    expect(manifest.json.annotations['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);

    const att = await reader.raw(attDesc.digest);
    published.push(att.body.toString());
    const layers = att.json.layers as { mediaType: string; digest: string; annotations: Record<string, string> }[];
    expect(layers.map((l) => [l.mediaType, l.annotations['in-toto.io/predicate-type']])).toEqual([
      ['application/vnd.in-toto+json', 'https://slsa.dev/provenance/v1'],
      ['application/vnd.in-toto+json', 'https://spdx.dev/Document'],
    ]);
    const provenanceText = (await reader.blob(layers[0]!.digest)).toString();
    const sbomText = (await reader.blob(layers[1]!.digest)).toString();
    published.push(provenanceText, sbomText);
    const provenance = JSON.parse(provenanceText);
    expect(schemas.slsa(provenance)).toEqual([]);
    expect(provenance.subject).toEqual([{ name: image, digest: { sha256: platformDesc.digest.slice('sha256:'.length) } }]);
    const def = provenance.predicate.buildDefinition;
    expect(def.externalParameters).toMatchObject({
      source: { uri: git.url, ref: 'main', commit: git.commit },
      context: '.',
      platform: 'linux/amd64',
      buildArgs: ['API_TOKEN'],
    });
    expect(def.resolvedDependencies).toContainEqual({ uri: `oci://${base.ref}`, digest: { sha256: base.digest.slice('sha256:'.length) } });
    expect(provenance.predicate.runDetails.builder.id).toBe(stack.url);
    expect(def.internalParameters).toMatchObject({ agent: 'test-linux-amd64', attempt: 1 });

    const sbomStatement = JSON.parse(sbomText);
    expect(sbomStatement.subject).toEqual(provenance.subject);
    const spdx = sbomStatement.predicate;
    expect(schemas.spdx(spdx)).toEqual([]);
    expect(spdx.spdxVersion).toBe('SPDX-2.3');
    expect(await imagePackages(platformDesc.digest)).toEqual(spdxPackages(spdx));
    const bash = spdx.packages.find((p: { name: string }) => p.name === 'bash');
    expect(bash.externalRefs[0].referenceLocator).toMatch(/^pkg:deb\/debian\/bash@[^?]+\?arch=amd64&distro=debian-12/);
    expect(spdx.packages.find((p: { primaryPackagePurpose?: string }) => p.primaryPackagePurpose === 'OPERATING_SYSTEM')).toMatchObject({
      name: 'debian',
      versionInfo: '12',
    });

    // The signature, read as cosign reads it: by tag, payload digest, then the ECDSA signature.
    const sigTag = `${build.indexDigest!.replace(':', '-')}.sig`;
    const sig = await reader.raw(sigTag);
    const [sigLayer] = sig.json.layers as { mediaType: string; digest: string; annotations: Record<string, string> }[];
    expect(sigLayer!.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = await reader.blob(sigLayer!.digest);
    const simple = JSON.parse(payload.toString());
    expect(simple.critical).toEqual({
      identity: { 'docker-reference': image },
      image: { 'docker-manifest-digest': build.indexDigest },
      type: 'cosign container image signature',
    });
    const signature = Buffer.from(sigLayer!.annotations['dev.cosignproject.cosign/signature']!, 'base64');
    expect(verify('sha256', payload, publicKey, signature)).toBe(true);
    const tampered = Buffer.from(payload.toString().replace(build.indexDigest!, `sha256:${'0'.repeat(64)}`));
    expect(verify('sha256', tampered, publicKey, signature)).toBe(false);

    // Neither the secret nor the build arg's value is anywhere in what was published.
    for (const text of published) {
      expect(text.includes(secret), 'a published document contains the secret').toBe(false);
      expect(text.includes(argValue), 'a published document contains a build-arg value').toBe(false);
    }

    // The API carries the digests; its SBOM and provenance downloads are the published documents.
    const chain = build.supplyChain!;
    expect(chain.attestations).toMatchObject([
      { platform: 'linux/amd64', manifestDigest: platformDesc.digest, attestationDigest: attDesc.digest, sbomStatus: 'ok' },
    ]);
    expect(chain.attestations[0]!.packages).toBe(spdxPackages(spdx).length);
    expect(chain.signature).toEqual({ tag: sigTag, digest: `sha256:${sha256Hex(sig.body)}` });
    const sbomRes = await stack.api(`/api/v1/builds/${build.id}/sbom/linux-amd64`);
    expect(sbomRes.status).toBe(200);
    expect(await sbomRes.json()).toEqual(spdx);
    const provRes = await stack.api(`/api/v1/builds/${build.id}/provenance/linux/amd64`);
    expect(await provRes.json()).toEqual(provenance);

    // The CLI prints the same documents.
    const printed = async (...args: string[]) => {
      const lines: string[] = [];
      const code = await cli(
        args,
        { ARCHWAY_URL: stack.url, ARCHWAY_TOKEN: stack.token },
        { out: (l) => lines.push(l), err: (l) => lines.push(`stderr: ${l}`) },
      );
      expect(code, lines.join('\n')).toBe(0);
      return JSON.parse(lines.join('\n'));
    };
    expect(await printed('sbom', build.id)).toEqual(spdx);
    expect(await printed('provenance', build.id, '--platform', 'linux/amd64')).toEqual(provenance);
  }, 420_000);

  it('a build with attestations off publishes the plain index, still signed', async () => {
    const build = await succeeded(
      await stack.api('/api/v1/builds', {
        method: 'POST',
        body: JSON.stringify({
          source: { url: git.url, ref: 'main' },
          containerfile: 'Plain.Containerfile',
          platforms: ['linux/amd64'],
          image,
          tags: ['plain'],
          attestations: false,
        }),
      }),
    );
    const index = await reader.raw('plain');
    expect(index.json.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([{ architecture: 'amd64', os: 'linux' }]);
    expect(build.supplyChain?.attestations.map((a) => a.attestationDigest)).toEqual([null]);
    expect(build.supplyChain?.signature?.tag).toBe(`${build.indexDigest!.replace(':', '-')}.sig`);
  }, 420_000);

  it("the repository's switch turns attestations off for its builds", async () => {
    const patch = await stack.api(`/api/v1/repos/${repoId}`, { method: 'PATCH', body: JSON.stringify({ attestations: false }) });
    expect(await patch.json()).toMatchObject({ attestations: false });
    const build = await succeeded(await stack.api(`/api/v1/repos/${repoId}/builds`, { method: 'POST', body: JSON.stringify({ ref: 'main' }) }));
    const index = await reader.raw(build.indexDigest!);
    expect(index.json.manifests).toHaveLength(1);
    expect(build.supplyChain?.attestations[0]?.attestationDigest).toBeNull();
  }, 420_000);

  /** dpkg-query's installed packages in the built image's own filesystem (buildah mount). */
  async function imagePackages(digest: string): Promise<string[]> {
    const storage = ['--root', join(root, 'inspect', 'storage'), '--runroot', join(root, 'inspect', 'run'), '--storage-driver', 'overlay'];
    const { stdout: ctr } = await run('buildah', [...storage, 'from', '--tls-verify=false', `docker://${image}@${digest}`]);
    const container = ctr.trim().split('\n').at(-1)!;
    try {
      const { stdout: mnt } = await run('buildah', [...storage, 'mount', container]);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not a template.
      const fmt = '${Package} ${Version} ${db:Status-Status}\\n';
      const { stdout } = await run('dpkg-query', ['-W', `-f=${fmt}`, `--admindir=${mnt.trim()}/var/lib/dpkg`], { maxBuffer: 16 * 1024 * 1024 });
      return stdout
        .split('\n')
        .filter((l) => l.endsWith(' installed'))
        .map((l) => l.split(' ').slice(0, 2).join(' '))
        .sort();
    } finally {
      await run('buildah', [...storage, 'rm', container]).catch(() => {});
    }
  }
});

function spdxPackages(spdx: { packages: { name: string; versionInfo?: string; externalRefs?: unknown[] }[] }): string[] {
  return spdx.packages
    .filter((p) => p.externalRefs?.length)
    .map((p) => `${p.name} ${p.versionInfo}`)
    .sort();
}
