// bench/attest: publishing the same pair of per-platform archives (random layers) without and with
// the supply chain (annotations, provenance + SBOM attestation manifests, cosign signature), in one
// run, alternating which goes first; a fresh docker-registry per publish, so nothing is found there.
//   npx tsx bench/attest/run.ts [--rounds 5 --mib 128 --layers 4 --packages 150]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { objectKeys, parsePlatform, type BuildResult, type PublishJob } from '@archway/contract';
import { createObjectStore, type ObjectStore } from '@archway/runtime';
import { spdxDocument } from '../../apps/agent/src/task/sbom/spdx.ts';
import { publishBuild } from '../../apps/merger/src/index.ts';
import { RegistryPool } from '../../apps/merger/src/registry/index.ts';
import { parseSigningKey } from '../../apps/merger/src/signing/key.ts';
import { startRegistry } from '../../test/harness/registry.ts';
import { median } from '../lib/services.ts';
import { fileSource, generateArchive } from '../merge/generate.ts';

const MiB = 1024 * 1024;
const PLATFORMS = ['linux/amd64', 'linux/arm64'].map(parsePlatform);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const rounds = Math.max(1, arg('rounds', 5));
const pairMiB = arg('mib', 128);
const layerCount = arg('layers', 4);
const packageCount = arg('packages', 150);

/** A Debian-sized SBOM (SPDX 2.3 JSON) as the agent writes it, stored where the agent puts it. */
async function putSbom(store: ObjectStore, buildId: string, platform: (typeof PLATFORMS)[number]) {
  const packages = Array.from({ length: packageCount }, (_, i) => ({
    type: 'deb' as const,
    name: `package-${i}`,
    version: `1.${i}.0-1`,
    arch: platform.split('/')[1]!,
    maintainer: 'Bench Maintainers <bench@example.invalid>',
  }));
  const doc = spdxDocument({ imageName: 'bench', platform, packages, os: { id: 'debian', versionId: '12' }, namespaceBase: 'https://archway.invalid/bench' });
  const body = Buffer.from(JSON.stringify(doc));
  const key = objectKeys.sbom(buildId, platform);
  const put = await store.put(key, Readable.from([body]), { contentLength: body.length });
  return { key, digest: put.digest, size: body.length };
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-attest-'));
  const store = createObjectStore(`file://${join(root, 'objects')}`);
  const signingKey = parseSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  try {
    const buildId = 'bench-attest';
    const results: BuildResult[] = [];
    let sbomBytes = 0;
    for (const platform of PLATFORMS) {
      const total = (pairMiB * MiB) / PLATFORMS.length;
      const a = await generateArchive(
        join(root, 'archives'),
        platform,
        Array.from({ length: layerCount }, () => Math.floor(total / layerCount)),
      );
      const key = objectKeys.archive(buildId, platform);
      await store.put(key, fileSource(a.path), { contentLength: a.size });
      const sbom = await putSbom(store, buildId, platform);
      sbomBytes += sbom.size;
      const now = new Date().toISOString();
      results.push({
        taskId: `${buildId}-${platform}`,
        platform,
        archiveKey: key,
        archiveSize: a.size,
        archiveDigest: a.digest,
        archiveLayoutDigest: a.layoutDigest,
        manifestDigest: a.manifestDigest,
        supply: {
          sbomKey: sbom.key,
          sbomDigest: sbom.digest,
          packages: packageCount,
          sbomStatus: 'ok',
          generator: 'archway-sbom-1',
          baseImages: [{ uri: 'oci://registry.invalid/library/debian:bookworm', digest: `sha256:${'0'.repeat(64)}` }],
          agent: 'bench',
          attempt: 1,
          startedOn: now,
          finishedOn: now,
        },
      });
    }
    console.log(
      `two archives, ${pairMiB} MiB of random layers together (${layerCount} layers each); SBOMs ${packageCount} packages, ${(sbomBytes / 1024).toFixed(0)} KiB together`,
    );

    const cpu = { plain: [] as number[], attested: [] as number[] };
    const publish = async (n: number, withSupply: boolean): Promise<number> => {
      const registry = await startRegistry({ dir: join(root, `registry-${n}-${withSupply}`) });
      const pool = new RegistryPool({ authFile: null, insecureRegistries: [registry.host] });
      const job: PublishJob = { buildId, image: `${registry.host}/bench/attest`, tags: ['latest'], push: true, platforms: PLATFORMS };
      if (withSupply) {
        job.supply = {
          attestations: true,
          sign: true,
          builderId: 'https://archway.invalid',
          source: { url: 'https://git.invalid/me/app.git', ref: 'main', commit: 'a'.repeat(40) },
          containerfile: null,
          context: '.',
          buildArgNames: ['VERSION'],
        };
      }
      try {
        const started = performance.now();
        const cpu0 = process.cpuUsage();
        const out = await publishBuild({ store, registries: pool, job, results, ...(withSupply ? { signingKey } : {}) });
        const ms = performance.now() - started;
        const used = process.cpuUsage(cpu0);
        // The merger's own CPU time: less sensitive than wall time to a machine busy with other work.
        cpu[withSupply ? 'attested' : 'plain'].push((used.user + used.system) / 1000);
        if (withSupply && (!out.supplyChain?.signature || out.supplyChain.attestations.some((a) => !a.attestationDigest)))
          throw new Error('the supply chain was not published');
        return ms;
      } finally {
        await pool.close();
        await registry.stop();
      }
    };

    const plain: number[] = [];
    const attested: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order: whichever goes second finds a warmer page cache.
      if (round % 2 === 0) {
        plain.push(await publish(round, false));
        attested.push(await publish(round, true));
      } else {
        attested.push(await publish(round, true));
        plain.push(await publish(round, false));
      }
      console.log(`round ${round + 1}: plain ${(plain.at(-1)! / 1000).toFixed(2)} s, with attestations + signature ${(attested.at(-1)! / 1000).toFixed(2)} s`);
    }
    const p = median(plain);
    const a = median(attested);
    console.log(
      `median of ${rounds}: plain ${(p / 1000).toFixed(2)} s, with supply chain ${(a / 1000).toFixed(2)} s → ratio ${(a / p).toFixed(3)} (target ≤ 1.10)`,
    );
    const pc = median(cpu.plain);
    const ac = median(cpu.attested);
    console.log(
      `merger CPU, median: plain ${pc.toFixed(0)} ms, with supply chain ${ac.toFixed(0)} ms → ratio ${(ac / pc).toFixed(3)}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    (store as { destroy?: () => void }).destroy?.();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
