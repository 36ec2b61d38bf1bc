import { platformSlug, SUPPLY, type Platform, type PublishSupply, type TaskSupply } from '@archway/contract';
import { sourceUrl } from './annotations.ts';

export interface ProvenanceInput {
  buildId: string;
  platform: Platform;
  /** `registry/repository` the image is published under. */
  subjectName: string;
  /** The platform manifest as published. */
  manifestDigest: string;
  supply: PublishSupply;
  task: TaskSupply;
}

/**
 * The SLSA provenance v1 statement of one platform image (https://slsa.dev/spec/v1.0/provenance).
 * Build args appear by name only and secrets not at all: their values may be credentials, and the
 * agent never hands them on. Everything in it comes from the build's job and the agent's result,
 * so a publish attempted again produces the same bytes (and the same attestation digest).
 */
export function provenanceStatement(p: ProvenanceInput): Record<string, unknown> {
  const { supply, task } = p;
  const source = sourceUrl(supply.source.url);
  return {
    _type: SUPPLY.statementType,
    subject: [{ name: p.subjectName, digest: { sha256: p.manifestDigest.replace(/^sha256:/, '') } }],
    predicateType: SUPPLY.slsaPredicate,
    predicate: {
      buildDefinition: {
        buildType: SUPPLY.buildType,
        externalParameters: {
          source: { uri: source, ref: supply.source.ref, commit: supply.source.commit },
          containerfile: supply.containerfile ?? 'Containerfile (or Dockerfile)',
          context: supply.context,
          platform: p.platform,
          buildArgs: [...supply.buildArgNames].sort(),
        },
        internalParameters: { buildId: p.buildId, agent: task.agent, attempt: task.attempt },
        resolvedDependencies: [
          { uri: `git+${source}@${supply.source.ref}`, digest: { gitCommit: supply.source.commit } },
          ...task.baseImages.map((b) => ({ uri: b.uri, digest: { sha256: b.digest.replace(/^sha256:/, '') } })),
        ],
      },
      runDetails: {
        builder: { id: supply.builderId },
        metadata: {
          invocationId: `${supply.builderId.replace(/\/$/, '')}/builds/${p.buildId}#${platformSlug(p.platform)}/attempt-${task.attempt}`,
          startedOn: isoSeconds(task.startedOn),
          finishedOn: isoSeconds(task.finishedOn),
        },
        byproducts: [{ name: 'sbom.spdx.json', digest: { sha256: task.sbomDigest.replace(/^sha256:/, '') }, mediaType: 'application/spdx+json' }],
      },
    },
  };
}

/** In-toto's timestamps are RFC 3339 without fractions (`2026-12-03T12:00:00Z`). */
function isoSeconds(t: string): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The SBOM as an in-toto statement about the same subject. */
export function sbomStatement(subjectName: string, manifestDigest: string, spdx: unknown): Record<string, unknown> {
  return {
    _type: SUPPLY.statementType,
    subject: [{ name: subjectName, digest: { sha256: manifestDigest.replace(/^sha256:/, '') } }],
    predicateType: SUPPLY.spdxPredicate,
    predicate: spdx,
  };
}
