import { JOB_CATALOG, type BuildRequest, type BuildTrigger, type ResolveJob } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { sqlOf } from '../../infra/sql.ts';
import { ServiceUnavailableError } from '../../infra/errors.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import type { Build, Prisma, Task } from '../../generated/prisma/client.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { repoBuildSettings, sealerFor, type RepoBuildSettings } from './build-secrets.ts';
import type { FlowJob } from 'bullmq';
import { buildFlows } from './flow.ts';
import { publishSupply } from './supply.ts';
import { checkSourceUrl } from './git.ts';
import { storedRequest, withCommit, type StoredRequest } from './stored-request.ts';
import { checkSourceAddressOffline } from './source-address.ts';
import type { ApiMetrics } from '../../metrics/api-metrics.ts';
import { inSpan, traceCarrier } from '@archway/runtime/tracing';

export interface CreateBuildDeps {
  prisma: PrismaClient;
  queues: Queues;
  /** Opens the repository's stored build secrets. */
  secretBox?: SecretBox;
  /** The agents' key (ARCHWAY_AGENT_SECRET_KEY[_FILE]) that seals build secrets per task. */
  agentSecretKey?: Buffer;
  /** Attempts per platform (ARCHWAY_BUILD_ATTEMPTS). */
  buildAttempts?: number;
  /** file:// and private-address sources allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocalSources?: boolean;
  /** ARCHWAY_LAYER_CACHE: the shared layer cache for repositories that do not say. */
  layerCache?: boolean;
  /** This Archway's URL: the provenance's builder id. */
  publicUrl?: string;
  /** Counts created builds by trigger. */
  metrics?: Pick<ApiMetrics, 'buildsCreated'>;
}

/** Where a build came from, for builds of a registered repository (webhooks, repo builds, their rebuilds). */
export interface BuildOrigin {
  repoId?: string | null;
  /** `branch:<name>`, `tag:<name>` or `pr:<number>` */
  triggerRef?: string | null;
  /** Why the build was made when no push asked for it, e.g. which base image changed (shown with the build). */
  reason?: string | null;
}

/** What an accepted build's row starts with: a request (REST, rebuild), or a repository's trigger to plan. */
export type AcceptedBuild = Pick<
  Prisma.BuildUncheckedCreateInput,
  | 'sourceUrl'
  | 'ref'
  | 'commit'
  | 'containerfile'
  | 'context'
  | 'platforms'
  | 'image'
  | 'tags'
  | 'buildArgs'
  | 'push'
  | 'repoId'
  | 'triggerRef'
  | 'reason'
  | 'before'
  | 'untrusted'
> & {
  trigger: BuildTrigger;
  /** The validated request; absent for a repository's trigger (the resolver plans it from .archway.yaml). */
  request?: BuildRequest;
};

/**
 * Accepts a validated request: checks what needs no network (URL syntax and scheme, file:// and
 * literal addresses), writes the Build in `resolving` (one INSERT) and queues its resolve job. The
 * resolver (workers/resolver) resolves the ref, reads the repository's settings and queues the
 * flow, or fails the build with the reason. Throws 503 (and creates nothing) when Redis refuses.
 */
export async function createBuild(deps: CreateBuildDeps, req: BuildRequest, trigger: BuildTrigger = 'api', origin: BuildOrigin = {}): Promise<AcceptedRow> {
  checkSourceUrl(req.source.url);
  checkSourceAddressOffline(req.source.url, deps.allowLocalSources ?? false);
  return acceptBuild(deps, {
    sourceUrl: req.source.url,
    ...requestColumns(req),
    commit: req.source.commit ?? null,
    request: req,
    trigger,
    repoId: origin.repoId ?? null,
    triggerRef: origin.triggerRef ?? null,
    reason: origin.reason ?? null,
  });
}

/** The build's columns that describe its request (shown by the API; jobs are made from `request`). */
function requestColumns(req: BuildRequest) {
  return {
    ref: req.source.ref,
    containerfile: req.containerfile ?? null,
    context: req.context,
    platforms: req.platforms,
    image: req.image ?? null,
    tags: req.tags,
    buildArgs: req.buildArgs,
    push: req.push,
  };
}

/** What the one who accepted a build learns of it; the rest is the resolver's to fill in. */
export type AcceptedRow = Pick<Build, 'id' | 'status'>;

/**
 * The one INSERT and the resolve job of an accepted build (see createBuild). Every build, webhook
 * and schedule goes through here, so the INSERT is plain SQL (infra/sql.ts). Columns left out take
 * the schema's defaults; JSON goes as text, as node-postgres would send a JS array as a Postgres one.
 */
export async function acceptBuild(deps: CreateBuildDeps, row: AcceptedBuild): Promise<AcceptedRow> {
  const [build] = await sqlOf(deps.prisma).query<AcceptedRow>(
    `INSERT INTO "Build" (id, status, "sourceUrl", ref, commit, containerfile, context, platforms, image, tags, "buildArgs",
       push, request, trigger, "repoId", "triggerRef", reason, before, untrusted)
     VALUES (gen_random_uuid(), 'resolving', $1, $2, $3, $4, $5, $6::text[], $7, $8::text[], $9::jsonb,
       $10, $11::jsonb, $12, $13::uuid, $14, $15, $16, $17)
     RETURNING id::text, status::text`,
    [
      row.sourceUrl,
      row.ref,
      row.commit ?? null,
      row.containerfile ?? null,
      row.context ?? '.',
      row.platforms,
      row.image ?? null,
      row.tags ?? [],
      JSON.stringify(row.buildArgs ?? {}),
      row.push ?? true,
      row.request ? JSON.stringify(row.request) : null,
      row.trigger,
      row.repoId ?? null,
      row.triggerRef ?? null,
      row.reason ?? null,
      row.before ?? null,
      row.untrusted ?? null,
    ],
  );
  if (!build) throw new Error('INSERT "Build" returned no row');
  try {
    await enqueueResolve(deps.queues, build.id);
    deps.metrics?.buildsCreated.inc({ trigger: row.trigger });
  } catch (err) {
    await deps.prisma.build.delete({ where: { id: build.id } }).catch(() => {});
    throw new ServiceUnavailableError(`the build could not be queued (Redis: ${(err as Error).message}); nothing was created, try again`);
  }
  return build;
}

/** Queues (again) the resolve job of a build in `resolving`; the job id is the build id, so a repeat adds nothing. */
export async function enqueueResolve(queues: Queues, buildId: string): Promise<void> {
  const c = JOB_CATALOG.resolve;
  await queues.queue(c.queue()).add('resolve', { buildId, ...withTrace(traceCarrier()) } satisfies ResolveJob, {
    jobId: buildId,
    attempts: c.attempts,
    backoff: { type: 'exponential', delay: c.backoffMs },
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600 },
  });
}

/** One task per platform; with several images, one per image × platform ("" names the one image). */
function taskRows(req: BuildRequest): { platform: string; image: string }[] {
  if (!req.images) return req.platforms.map((platform) => ({ platform, image: '' }));
  return req.images.flatMap((img) => img.platforms.map((platform) => ({ platform, image: img.name })));
}

export interface ResolvedExtra {
  triggerRef?: string | null;
  /** Why the build must wait for a person's approval: `waiting-for-approval` with its tasks, no flow (approve.ts adds it). */
  waitForApproval?: string | undefined;
}

/**
 * The resolver's last step: `resolving` → `queued` (or `waiting-for-approval`) with the resolved
 * request (commit included) and one Task per image × platform in one transaction, then the flows
 * (none while it waits for approval). Returns false (and queues nothing) when the build left
 * `resolving` meanwhile (canceled). A flow that Redis refuses is left to the reconciler, which
 * queues a build's missing flow again (the same job ids).
 */
export async function queueResolvedBuild(
  deps: CreateBuildDeps,
  buildId: string,
  stored: StoredRequest,
  settings: RepoBuildSettings,
  extra: ResolvedExtra = {},
): Promise<boolean> {
  const c = requestColumns(stored);
  const rows = taskRows(stored);
  const status = extra.waitForApproval ? 'waiting-for-approval' : 'queued';
  // One statement (one round trip, no connection held across several): the guarded move out of
  // `resolving` and the tasks, which exist only if the move happened. Task ids are made here, as
  // Prisma's @default(uuid()) would.
  const tasks = await deps.prisma.$queryRaw<{ id: string; platform: string; image: string }[]>`
    WITH moved AS (
      UPDATE "Build" SET
        status = ${status}::"BuildStatus", "approvalReason" = ${extra.waitForApproval ?? null}::text,
        ref = ${c.ref}, commit = ${stored.source.commit}, containerfile = ${c.containerfile},
        context = ${c.context}, platforms = ${c.platforms}::text[], image = ${c.image}, tags = ${c.tags}::text[],
        "buildArgs" = ${JSON.stringify(c.buildArgs)}::jsonb, push = ${c.push}, request = ${JSON.stringify(stored)}::jsonb,
        "triggerRef" = COALESCE(${extra.triggerRef ?? null}::text, "triggerRef")
      WHERE id = ${buildId}::uuid AND status = 'resolving'
      RETURNING id
    )
    INSERT INTO "Task" (id, "buildId", platform, image)
    SELECT gen_random_uuid(), moved.id, p.platform, p.image
    FROM moved, unnest(${rows.map((r) => r.platform)}::text[], ${rows.map((r) => r.image)}::text[]) AS p(platform, image)
    RETURNING id::text, platform, image`;
  if (tasks.length === 0) return false;
  if (extra.waitForApproval) return true;
  // The flow's span is the parent of every agent's task and of the merger's publish.
  await inSpan('api.flow', () => addFlows(deps, flowsOf(deps, buildId, stored, tasks, settings, extra.triggerRef)), {
    attributes: { 'archway.build_id': buildId },
  });
  return true;
}

/** All flows of a build in one MULTI (addBulk): every image's flow is queued, or none. */
async function addFlows(deps: CreateBuildDeps, flows: FlowJob[]): Promise<void> {
  if (flows.length === 1) await deps.queues.flow.add(flows[0]!);
  else await deps.queues.flow.addBulk(flows);
}

function flowsOf(
  deps: CreateBuildDeps,
  buildId: string,
  request: StoredRequest,
  tasks: Pick<Task, 'id' | 'platform' | 'image'>[],
  settings: RepoBuildSettings,
  triggerRef?: string | null,
) {
  return buildFlows(buildId, request, tasks, {
    supply: publishSupply(deps.publicUrl, request, settings, triggerRef),
    ...(deps.buildAttempts ? { attempts: deps.buildAttempts } : {}),
    ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.queueWaitLimitMs ? { queueWaitLimitMs: settings.queueWaitLimitMs } : {}),
    secretsFor: sealerFor(deps.agentSecretKey, settings.secrets),
    ...(settings.cache ? { cache: settings.cache } : {}),
    ...withTrace(traceCarrier()),
  });
}

function withTrace(trace: ReturnType<typeof traceCarrier>) {
  return trace ? { trace } : {};
}

/**
 * Adds the flow of a build that exists in Postgres but not in Redis (the API stopped between the
 * two, or Redis lost it): the same job ids as createBuild's, so an add racing another one (or a
 * flow that is there after all) creates nothing twice. Settings and secrets are read again from
 * the repository. Throws when they cannot be (see repoBuildSettings) or Redis refuses.
 */
export async function requeueBuildFlow(deps: CreateBuildDeps, build: Build, tasks: Task[]): Promise<void> {
  const settings = await repoBuildSettings(deps, build);
  const request = storedRequest(build);
  if (!build.commit) throw new Error(`build ${build.id} has no resolved commit to queue again`);
  await addFlows(deps, flowsOf(deps, build.id, withCommit(request, build.commit), tasks, settings, build.triggerRef));
}
