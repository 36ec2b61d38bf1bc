import { z } from 'zod';
import { parsePlatform, Platform } from './platform.ts';
import { AttemptOutcome, BuildStatus, TaskStatus } from './statuses.ts';
import { ImageNameString, PushTargets, TagString } from './reference.ts';
import { ImageGroupName, RepoPath, StageName } from './paths.ts';
import { BaseImage } from './jobs.ts';
import { SupplyChain } from './supply-chain.ts';

export const DEFAULT_PLATFORMS: readonly Platform[] = ['linux/amd64', 'linux/arm64'].map(parsePlatform);
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const BuildSource = z
  .object({
    url: z.string().min(1, 'source.url is required').max(2048),
    ref: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\s\0~^:?*[\\]+$/, 'invalid git ref')
      .default('main'),
    commit: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit id')
      .optional(),
  })
  // `{"branch": "dev"}` must not quietly build main.
  .strict();
export type BuildSource = z.infer<typeof BuildSource>;

/** The platforms of a build or a repository: 1 to 16, each parsed once; default amd64 + arm64. */
export const PlatformList = z
  .array(Platform)
  .min(1)
  .max(16)
  .default(() => [...DEFAULT_PLATFORMS]);

const BuildArgMap = z.record(z.string().regex(BUILD_ARG_NAME, 'build arg names are letters, digits and _'), z.string().max(65536)).default({});

/** Push rules shared by a request and each of its images: a pushed image needs a repository and a tag. */
function checkPush(img: { push: boolean; image?: string | undefined; tags: string[]; platforms: string[] }, ctx: z.RefinementCtx): void {
  if (new Set(img.platforms).size !== img.platforms.length) {
    ctx.addIssue({ code: 'custom', path: ['platforms'], message: 'platforms must not repeat' });
  }
  if (img.push && !img.image) ctx.addIssue({ code: 'custom', path: ['image'], message: 'image is required when push is true' });
  if (img.push && img.tags.length === 0) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'at least one tag is required when push is true' });
}

/**
 * One image of a build with several: its own Containerfile, context, stage, platforms, build args,
 * and destination (`image`, one field: the repository it is pushed to) with its tags. Each is
 * published as its own OCI index, tags last.
 */
const imageFields = {
  containerfile: RepoPath.optional(),
  context: RepoPath.default('.'),
  /** Build up to this stage of a multi-stage Containerfile (`buildah build --target`); default: the last. */
  target: StageName.optional(),
  platforms: PlatformList,
  image: ImageNameString.optional(),
  tags: z.array(TagString).max(64).default([]),
  buildArgs: BuildArgMap,
  push: z.boolean().default(true),
};

export const BuildImage = z
  .object({ name: ImageGroupName, ...imageFields })
  .strict()
  .superRefine(checkPush);
export type BuildImage = z.infer<typeof BuildImage>;

/** Tasks (image × platform) one build may have. */
export const MAX_BUILD_TASKS = 64;

export const BuildRequest = z
  .object({
    source: BuildSource,
    ...imageFields,
    /** Extra destinations of the image (PushTargets in reference.ts); the index and tags go to each. */
    targets: PushTargets.optional(),
    /** false: publish no provenance/SBOM attestation manifests (some old registries refuse `unknown/unknown`). */
    attestations: z.boolean().default(true),
    /**
     * Several images from one commit (2 to 16): then each image carries its own settings, and the
     * top-level containerfile, context, target, image, tags and buildArgs are not used (give
     * `push: false`); `platforms` should list every image's platforms.
     */
    images: z.array(BuildImage).min(2, 'give at least two images, or none').max(16).optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (!req.images) return checkPush(req, ctx);
    if (req.push) ctx.addIssue({ code: 'custom', path: ['push'], message: 'with images, each image says whether it is pushed: give push: false here' });
    const names = req.images.map((i) => i.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated) ctx.addIssue({ code: 'custom', path: ['images'], message: `image name "${repeated}" is used twice` });
    const tasks = req.images.reduce((n, i) => n + i.platforms.length, 0);
    if (tasks > MAX_BUILD_TASKS) ctx.addIssue({ code: 'custom', path: ['images'], message: `${tasks} image × platform tasks: at most ${MAX_BUILD_TASKS}` });
  });
export type BuildRequest = z.infer<typeof BuildRequest>;
export type BuildRequestInput = z.input<typeof BuildRequest>;

/**
 * What started a build: the REST API, a rebuild of another, a forge webhook, a repository build
 * of a ref, a repository's cron schedule, or a change of a base image it was built on.
 */
export const BUILD_TRIGGERS = ['api', 'rebuild', 'webhook', 'repo', 'schedule', 'base-image'] as const;
export const BuildTrigger = z.enum(BUILD_TRIGGERS);
export type BuildTrigger = z.infer<typeof BuildTrigger>;

export const PhaseKind = z.enum(['clone', 'pull', 'build', 'step', 'export', 'upload', 'merge', 'push', 'publish', 'cache']);
export type PhaseKind = z.infer<typeof PhaseKind>;

export const Phase = z.object({
  name: z.string(),
  kind: PhaseKind,
  /** Containerfile step number (1-based) for `step` phases. */
  step: z.number().int().nullable().optional(),
  attempt: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  cached: z.boolean().nullable().optional(),
});
export type Phase = z.infer<typeof Phase>;

/** Why an attempt of a task ended without a result (shown in the task's history). */
export const AttemptCause = z.enum(['step-failed', 'agent-lost', 'evicted', 'out-of-disk', 'timeout', 'queue-wait', 'error']);
export type AttemptCause = z.infer<typeof AttemptCause>;

/** One attempt of a task: the agent that ran it and how it ended (`requeued`: given back without using an attempt). */
export const TaskAttempt = z.object({
  attempt: z.number().int(),
  agent: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  outcome: AttemptOutcome,
  cause: AttemptCause.nullable(),
  reason: z.string().nullable(),
});
export type TaskAttempt = z.infer<typeof TaskAttempt>;

export const Task = z.object({
  id: z.string(),
  platform: z.string(),
  /** The image (`images[].name`) it builds in a build of several; null in a build of one. */
  image: z.string().nullable().optional(),
  status: TaskStatus,
  agent: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  failedStep: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  manifestDigest: z.string().nullable(),
  /** The base image(s) the agent built on, by digest (what the base-image watcher polls). */
  baseImages: z.array(BaseImage).optional(),
  archiveSize: z.number().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  phases: z.array(Phase),
  /** Every attempt, oldest first: retries, lost agents, requeues (shutdown, out of disk). */
  history: z.array(TaskAttempt).optional(),
});
export type Task = z.infer<typeof Task>;

export const Build = z.object({
  id: z.string(),
  status: BuildStatus,
  source: z.object({ url: z.string(), ref: z.string(), commit: z.string().nullable() }),
  containerfile: z.string().nullable(),
  context: z.string(),
  /** The Containerfile stage built up to (`target`); null: the last stage. */
  target: z.string().nullable().optional(),
  platforms: z.array(z.string()),
  image: z.string().nullable(),
  tags: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  push: z.boolean(),
  trigger: BuildTrigger,
  /** Why it was started, when the trigger says more than its name (a base image's change). */
  reason: z.string().nullable().optional(),
  error: z.string().nullable(),
  indexDigest: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  tasks: z.array(Task),
  /**
   * A build of several images: each one's settings and its published index (null until published,
   * or when not pushed). Its tasks carry its name in `image`. Absent for a build of one image.
   */
  images: z
    .array(
      z.object({
        name: z.string(),
        image: z.string().nullable(),
        containerfile: z.string().nullable(),
        context: z.string(),
        target: z.string().nullable(),
        platforms: z.array(z.string()),
        tags: z.array(z.string()),
        push: z.boolean(),
        indexDigest: z.string().nullable(),
      }),
    )
    .optional(),
  /** Build-level phases (publish). */
  phases: z.array(Phase),
  /** The registered repository it came from (webhook or repo build), if any. */
  repoId: z.string().nullable().optional(),
  /** `branch:<name>`, `tag:<name>` or `pr:<number>` for repository builds. */
  triggerRef: z.string().nullable().optional(),
  /** Last commit status the forge accepted; null when none was reported. */
  statusState: z.string().nullable().optional(),
  /** Why the commit status could not be reported to the forge (never fails the build). */
  statusError: z.string().nullable().optional(),
  /**
   * Why a pull request build waits (or waited) for approval, and who approved it when; null for
   * builds that never needed it. Approve with POST /api/v1/builds/:id/approve.
   */
  approval: z.object({ reason: z.string(), approvedBy: z.string().nullable(), approvedAt: z.string().nullable() }).nullable().optional(),
  /** What the merger published besides the images: attestation and signature digests (docs/supply-chain.md). */
  supplyChain: SupplyChain.nullable().optional(),
});
export type Build = z.infer<typeof Build>;

/**
 * The query of every keyset-paginated list (builds, a repository's deliveries, tokens): `limit`
 * rows older than `cursor`. A bad `limit` or a cursor that does not decode is 400 naming it.
 */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: z.string().optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** One page of such a list, newest first. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass as `cursor` for the next (older) page; null on the last. */
    nextCursor: z.string().nullable(),
  });
}

export const BuildListQuery = PageQuery.extend({
  status: BuildStatus.optional(),
  /** Only builds of this registered repository (webhook and repo builds). */
  repoId: z.string().optional(),
  /** Only builds of this branch or tag (`main` also matches `refs/heads/main`). */
  ref: z.string().min(1).max(255).optional(),
});
export type BuildListQuery = z.infer<typeof BuildListQuery>;

/**
 * A build as lists show it: everything but the per-phase timings, the attempt history and the
 * supply-chain record, which a page of 50 builds would multiply (GET /builds/:id has them).
 */
export const TaskSummary = Task.omit({ phases: true, history: true });
export type TaskSummary = z.infer<typeof TaskSummary>;
export const BuildSummary = Build.omit({ phases: true, tasks: true, supplyChain: true }).extend({ tasks: z.array(TaskSummary) });
export type BuildSummary = z.infer<typeof BuildSummary>;

export const BuildList = pageOf(BuildSummary);
export type BuildList = z.infer<typeof BuildList>;

export const CreatedBuild = z.object({ id: z.string(), status: BuildStatus, url: z.string() });
export type CreatedBuild = z.infer<typeof CreatedBuild>;

/** Every 4xx/5xx body. `field` names the offending input when there is one. */
export const ApiError = z.object({
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiError = z.infer<typeof ApiError>;

/** Depth of one platform's build queue, as `GET /api/v1/queues` lists it. */
export const QueueDepth = z.object({
  platform: z.string(),
  queue: z.string(),
  /** Jobs no agent has taken yet (excluding retries waiting for their backoff: `delayed`). */
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  /** Age of the oldest waiting job, null when none waits. */
  oldestWaitingMs: z.number().int().nullable(),
  /** Agents of this platform with a live heartbeat. */
  agents: z.number().int(),
});
export type QueueDepth = z.infer<typeof QueueDepth>;

/** `GET /api/v1/queues`. */
export const QueueDepthList = z.object({ items: z.array(QueueDepth) });
export type QueueDepthList = z.infer<typeof QueueDepthList>;

/** `GET /healthz`: the process is up. */
export const Liveness = z.object({ status: z.literal('ok') });

/** `GET /readyz`: each dependency's check, `ok` or `failed: <why>`. */
export const ReadinessChecks = z.object({ postgres: z.string(), redis: z.string() });
export const Readiness = z.object({ status: z.literal('ready'), checks: ReadinessChecks });
/** The 503 of `/readyz`: an ApiError that also carries the checks. */
export const NotReady = ApiError.extend({ checks: ReadinessChecks });

/** `POST /api/v1/session`: trade an API token for the dashboard's session cookie. */
export const SessionSignIn = z
  .object({ token: z.string({ error: 'token is required' }).trim().min(1, 'token is required').max(512, 'token is too long') })
  .strict();

/** What the session endpoints answer: never the cookie itself, which stays httpOnly. */
export const SessionState = z.discriminatedUnion('signedIn', [
  z.object({ signedIn: z.literal(true), name: z.string(), csrfToken: z.string(), expiresAt: z.string() }),
  z.object({ signedIn: z.literal(false) }),
]);
export type SessionState = z.infer<typeof SessionState>;
