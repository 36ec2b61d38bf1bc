import { z } from 'zod';
import { Platform, platformSlug } from './platform.ts';
import { ImageGroupName, StageName } from './paths.ts';
import { PublishSupply, TaskSupply } from './supply-chain.ts';

/**
 * The job catalog: every BullMQ job Archway enqueues, its payload schema, result and retry policy.
 * The API uses it to enqueue, the agent and merger to process. See apps/agent/CONTRACT.md.
 */
export const PUBLISH_QUEUE = 'publish';
/** The API's own queue: builds accepted in `resolving`, resolved by apps/api/src/workers/resolver. */
export const RESOLVE_QUEUE = 'resolve';

/** ARCHWAY_QUEUE_PREFIX, parsed the same way by the API, the merger and the agents (they must agree). */
export const QueuePrefixSetting = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, "_", "." and "-"')
  .default('archway');
export function buildQueueName(platform: Platform): string {
  return `build-${platformSlug(platform)}`;
}

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) of the span that queued a job, present
 * only when the queuing process traces (OTEL_EXPORTER_OTLP_ENDPOINT): the agent and the merger
 * continue the build's one trace from it. Optional, so jobs from older APIs still parse.
 */
export const TraceCarrier = z.object({
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
  tracestate: z.string().max(512).optional(),
});
export type TraceCarrier = z.infer<typeof TraceCarrier>;

export const BuildJob = z.object({
  buildId: z.string(),
  taskId: z.string(),
  platform: Platform,
  source: z.object({ url: z.string(), ref: z.string(), commit: z.string() }),
  /** Undefined: `Containerfile`, then `Dockerfile`. */
  containerfile: z.string().optional(),
  context: z.string(),
  /** The stage to build up to (`buildah build --target`); absent: the Containerfile's last stage. */
  target: StageName.optional(),
  /** The image (`images[].name`) of a build with several; absent: the build has one. Part of the object keys. */
  image: ImageGroupName.optional(),
  buildArgs: z.record(z.string(), z.string()),
  /** Build time limit (the repository's setting); agents default to 60 min when absent. */
  timeoutMs: z.number().int().positive().optional(),
  /** The repository's queue-wait limit; the API's reconciler uses ARCHWAY_QUEUE_WAIT_LIMIT when absent. Agents ignore it. */
  queueWaitLimitMs: z.number().int().positive().optional(),
  /**
   * Build secrets for `RUN --mount=type=secret,id=<id>`, each sealed with the agents' key
   * (`sealBuildSecret` in @archway/runtime): Redis never holds a value in clear text.
   */
  secrets: z.array(z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), sealed: z.string() })).optional(),
  /**
   * The shared layer cache (docs/registries.md): `scope` names the repository's cache (agents
   * use `<ARCHWAY_AGENT_CACHE_REPO>/<scope>/<platform slug>`); `write: false` for builds of code
   * the maintainers have not merged (pull requests): they read the cache but never write it.
   * Absent: local cache only.
   */
  cache: z.object({ scope: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/), write: z.boolean() }).optional(),
  trace: TraceCarrier.optional(),
});
export type BuildJob = z.infer<typeof BuildJob>;

/** What an agent returns for a built platform; the merger reads it from the parent job. */
/** An image a build was based on: the reference as written in FROM, and the digest it resolved to. */
export const BaseImage = z.object({ reference: z.string().min(1).max(512), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/) });
export type BaseImage = z.infer<typeof BaseImage>;

export const BuildResult = z.object({
  taskId: z.string(),
  platform: Platform,
  archiveKey: z.string(),
  archiveSize: z.number().int(),
  /** sha256 of the whole archive as uploaded (what a download of the artifact hashes to). */
  archiveDigest: z.string(),
  /**
   * sha256 of the archive's tar listing with blob contents left out (`ArchiveLayoutHasher`): the
   * merger checks this and every blob it uses against its own digest, hashing each byte once.
   * Results without it (agents older than the merger) are checked against archiveDigest instead.
   */
  archiveLayoutDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional(),
  manifestDigest: z.string(),
  /**
   * The base image of the final stage as buildah recorded it in the built manifest
   * (`org.opencontainers.image.base.name` / `.digest`): what the API's base-image watcher polls.
   * Empty for `FROM scratch`; absent from older agents.
   */
  baseImages: z.array(BaseImage).max(16).optional(),
  /** SBOM and provenance material of the built image (agents older than the merger send none). */
  supply: TaskSupply.optional(),
});
export type BuildResult = z.infer<typeof BuildResult>;

export const PublishJob = z.object({
  buildId: z.string(),
  /**
   * A build of several images has one publish job per image (job id `<build id>.<name>`), each
   * publishing that image's index; absent: the build's only image (job id = build id).
   */
  imageName: ImageGroupName.optional(),
  image: z.string().optional(),
  /** Extra destinations of the image (`imageDestinations` in reference.ts); absent: the image alone. */
  targets: z.array(z.string()).optional(),
  tags: z.array(z.string()),
  push: z.boolean(),
  platforms: z.array(Platform),
  /**
   * The platforms' results, given only when the API's reconciler queues a publish job again
   * without children (its jobs were lost from Redis after every task was built; the results come
   * from Postgres). Absent: the merger reads its children's return values.
   */
  results: z.array(BuildResult).optional(),
  /** Provenance parameters and the attestation/signing switches (docs/supply-chain.md); absent: annotations only. */
  supply: PublishSupply.optional(),
  trace: TraceCarrier.optional(),
});
export type PublishJob = z.infer<typeof PublishJob>;

/**
 * Resolve one accepted build (jobId = build id): its ref to a commit, its `.archway.yaml`, its
 * tasks and flow. Everything else is read from the build's row, so a repeat is harmless.
 */
export const ResolveJob = z.object({
  buildId: z.string(),
  /** The accepting request's trace: the flow the resolver adds continues it. */
  trace: TraceCarrier.optional(),
});
export type ResolveJob = z.infer<typeof ResolveJob>;

/**
 * Every job: its queue, the schema its payload is checked with where it is processed (and the one
 * its result has), and its retry policy. The API enqueues with these; the agent and the merger parse
 * with them.
 */
export const JOB_CATALOG = {
  build: { queue: buildQueueName, payload: BuildJob, result: BuildResult, attempts: 2, backoffMs: 2000 },
  publish: { queue: () => PUBLISH_QUEUE, payload: PublishJob, attempts: 3, backoffMs: 5000 },
  // Git failures are the build's outcome (failed with git's reason), not retried; attempts cover
  // Redis or Postgres going away mid-job.
  resolve: { queue: () => RESOLVE_QUEUE, payload: ResolveJob, attempts: 3, backoffMs: 1000 },
} as const;

/** Object-store keys: archives and logs are addressed by build and platform, never by user names. */
export const objectKeys = {
  archive: (buildId: string, platform: Platform, image?: string) => `archives/${buildId}/${image ? `${image}/` : ''}${platformSlug(platform)}.tar`,
  log: (buildId: string, platform: Platform, image?: string) => `logs/${buildId}/${image ? `${image}/` : ''}${platformSlug(platform)}.log`,
  /** SPDX 2.3 JSON of the built image (the agent). */
  sbom: (buildId: string, platform: Platform, image?: string) => `supply/${buildId}/${image ? `${image}/` : ''}${platformSlug(platform)}.spdx.json`,
  /** The in-toto SLSA provenance statement as published (the merger). */
  provenance: (buildId: string, platform: Platform, image?: string) => `supply/${buildId}/${image ? `${image}/` : ''}${platformSlug(platform)}.provenance.json`,
};

/** The publish job of a build, or of one image of a build with several. */
export function publishJobId(buildId: string, imageName?: string): string {
  return imageName ? `${buildId}.${imageName}` : buildId;
}
