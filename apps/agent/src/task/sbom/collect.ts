import { Readable } from 'node:stream';
import { objectKeys, platformSlug, type BuildJob, type TaskSupply } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import type { BuildahSettings } from '../buildah.ts';
import { builtInSbom, type Sbom } from './index.ts';
import { resolveBaseImages } from './base-images.ts';
import { syftSbom } from './syft.ts';

export interface CollectInput {
  job: BuildJob;
  store: ObjectStore;
  settings: BuildahSettings;
  archivePath: string;
  scanner: 'builtin' | 'syft';
  /** Base image references from the build's FROM lines (FromCollector). */
  fromRefs: string[];
  agent: string;
  attempt: number;
  startedOn: string;
  signal: AbortSignal;
  log: (line: string) => Promise<void>;
}

/**
 * The supply-chain material of a built platform: its SBOM (in the object store, next to the
 * archive) and what the merger's provenance needs from the agent (base images, run details).
 */
export async function collectSupply(o: CollectInput): Promise<TaskSupply> {
  const { job } = o;
  const builtIn = () =>
    builtInSbom(o.archivePath, {
      imageName: `archway build ${job.buildId}`,
      platform: job.platform,
      namespaceBase: `https://archway.invalid/builds/${job.buildId}/${platformSlug(job.platform)}`,
    });
  let sbom: Sbom;
  if (o.scanner === 'syft') {
    sbom = await syftSbom(o.archivePath, o.signal).catch(async (err: Error) => {
      await o.log(`archway: warning: syft failed (${err.message}); the SBOM comes from the built-in reader`);
      return builtIn();
    });
  } else sbom = await builtIn();
  const body = Buffer.from(JSON.stringify(sbom.document));
  const key = objectKeys.sbom(job.buildId, job.platform, job.image);
  const put = await o.store.put(key, Readable.from([body]), { contentLength: body.length });
  const problem = (sbom.document.comment as string | undefined) ?? '';
  await o.log(`archway: SBOM by ${sbom.generator}: ${sbom.packages} packages${sbom.status === 'ok' ? '' : ` (${sbom.status}: ${problem})`}`);
  const baseImages = await resolveBaseImages(o.settings, o.fromRefs);
  return {
    sbomKey: key,
    sbomDigest: put.digest,
    packages: sbom.packages,
    sbomStatus: sbom.status,
    generator: sbom.generator,
    baseImages,
    agent: o.agent,
    attempt: o.attempt,
    startedOn: o.startedOn,
    finishedOn: new Date().toISOString(),
  };
}
