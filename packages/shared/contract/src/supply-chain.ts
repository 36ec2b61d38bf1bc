import { z } from 'zod';

/**
 * Supply-chain evidence of a build (docs/supply-chain.md): what the agent found in the built image
 * (SBOM, base images), what the API tells the merger about the build (provenance parameters, the
 * switches), and what the merger published (attestation and signature digests).
 */

/** In-toto and OCI names every part agrees on. */
export const SUPPLY = {
  slsaPredicate: 'https://slsa.dev/provenance/v1',
  spdxPredicate: 'https://spdx.dev/Document',
  statementType: 'https://in-toto.io/Statement/v1',
  inTotoMediaType: 'application/vnd.in-toto+json',
  /** Archway's build type: the meaning of externalParameters (docs/supply-chain.md). */
  buildType: 'https://archway.dev/build/containerfile/v1',
} as const;

/** Where the SBOM of one platform's image lies in the object store (the agent writes it). */
export const SbomStatus = z.enum(['ok', 'missing', 'unreadable']);
export type SbomStatus = z.infer<typeof SbomStatus>;

/** What the agent reports with a built platform (BuildResult.supply). */
export const TaskSupply = z.object({
  /** Object-store key of the SPDX 2.3 JSON document. */
  sbomKey: z.string(),
  sbomDigest: z.string(),
  /** Packages found; 0 with status `missing`/`unreadable` says the package database could not be read. */
  packages: z.number().int().min(0),
  sbomStatus: SbomStatus,
  /** What produced it: `archway-sbom/<version>` or `syft`. */
  generator: z.string(),
  /** Base images of every FROM, by digest as buildah pulled them. */
  baseImages: z.array(z.object({ uri: z.string(), digest: z.string() })),
  agent: z.string(),
  attempt: z.number().int(),
  startedOn: z.string(),
  finishedOn: z.string(),
});
export type TaskSupply = z.infer<typeof TaskSupply>;

/** What the API tells the merger for provenance and annotations (PublishJob.supply). Never values of build args or secrets. */
export const PublishSupply = z.object({
  /** false: no attestation manifests in the index (the request's or the repository's switch). */
  attestations: z.boolean(),
  /** false for pull-request builds: they are never signed, whatever the merger's key. */
  sign: z.boolean(),
  /** This Archway's public URL: the provenance's builder id. */
  builderId: z.string(),
  source: z.object({ url: z.string(), ref: z.string(), commit: z.string() }),
  containerfile: z.string().nullable(),
  context: z.string(),
  buildArgNames: z.array(z.string()),
  /** From the tag rule (a version tag); `.version`. */
  version: z.string().optional(),
  /** The registered repository's name; `.title`. */
  title: z.string().optional(),
});
export type PublishSupply = z.infer<typeof PublishSupply>;

/** One platform's published attestations. */
export const PlatformAttestation = z.object({
  platform: z.string(),
  /** The platform manifest they describe (as published, annotations included). */
  manifestDigest: z.string(),
  /** The attestation manifest in the index; null when attestations were switched off (the documents are still kept). */
  attestationDigest: z.string().nullable(),
  provenanceDigest: z.string(),
  sbomDigest: z.string(),
  packages: z.number().int(),
  sbomStatus: SbomStatus,
  generator: z.string(),
  baseImages: z.array(z.object({ uri: z.string(), digest: z.string() })),
  agent: z.string(),
  startedOn: z.string(),
  finishedOn: z.string(),
});
export type PlatformAttestation = z.infer<typeof PlatformAttestation>;

/** What the merger published besides the images (the build.succeeded event and `GET /api/v1/builds/:id`). */
export const SupplyChain = z.object({
  attestations: z.array(PlatformAttestation),
  /** The cosign signature manifest, null when the index was not signed. */
  signature: z.object({ tag: z.string(), digest: z.string() }).nullable(),
  /** Why it was not signed (no key, a pull request, not pushed). */
  unsignedReason: z.string().nullable(),
});
export type SupplyChain = z.infer<typeof SupplyChain>;
