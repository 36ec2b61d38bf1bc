import type { BuildRequest, BuildTrigger } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { ServiceUnavailableError } from '../../infra/errors.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import type { Build, Task } from '../../generated/prisma/client.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { repoBuildSettings, sealerFor, type RepoBuildSettings } from './build-secrets.ts';
import type { FlowJob } from 'bullmq';
import { buildFlows } from './flow.ts';
import { publishSupply } from './supply.ts';
import { checkSourceUrl, resolveRef } from './git.ts';
import { storedRequest, withCommit, type StoredRequest } from './stored-request.ts';
import { checkSourceAddress } from './source-address.ts';
import type { ApiMetrics } from '../../metrics/api-metrics.ts';
import { inSpan, traceCarrier } from '@archway/runtime/tracing';

export interface CreateBuildDeps {
  prisma: PrismaClient;
  queues: Queues;
  gitTimeoutMs?: number;
  /** Opens the repository's stored build secrets. */
  secretBox?: SecretBox;
  /** The agents' key (ARCHWAY_AGENT_SECRET_KEY[_FILE]) that seals build secrets per task. */
  agentSecretKey?: Buffer;
  /** Attempts per platform (ARCHWAY_BUILD_ATTEMPTS). */
  buildAttempts?: number;
  /** file:// and private-address sources allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocalSources?: boolean;
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
  /** Why the build must wait for a person's approval: stored `waiting-for-approval`, nothing queued (approve.ts queues it). */
  waitForApproval?: string | undefined;
  /** Why it was started, when the trigger says more than its name (a base image's change). */
  reason?: string | null;
}

/**
 * Turns a validated request into a Build with one Task per platform and its BullMQ flow.
 * Either both exist afterwards or neither: if the flow cannot be added the rows are deleted.
 * Builds of a registered repository (and their rebuilds) carry its time limit and its build
 * secrets, sealed for each task with the agents' key.
 */
export async function createBuild(deps: CreateBuildDeps, req: BuildRequest, trigger: BuildTrigger = 'api', origin: BuildOrigin = {}): Promise<Build> {
  checkSourceUrl(req.source.url);
  await checkSourceAddress(req.source.url, deps.allowLocalSources ?? false);
  const commit = req.source.commit ?? (await resolveRef(req.source.url, req.source.ref, deps.gitTimeoutMs));
  // What the jobs, and any rebuild, are made from: the request with its commit resolved.
  const stored = withCommit(req, commit);
  // Before any row exists: a repository whose secrets cannot be sealed does not build at all.
  const settings = await repoBuildSettings(deps, origin);

  // One nested create is one transaction: the build never exists without its tasks.
  const build = await deps.prisma.build.create({
    data: {
      sourceUrl: req.source.url,
      ref: req.source.ref,
      commit,
      containerfile: req.containerfile ?? null,
      context: req.context,
      platforms: req.platforms,
      image: req.image ?? null,
      tags: req.tags,
      buildArgs: req.buildArgs,
      push: req.push,
      request: stored,
      trigger,
      repoId: origin.repoId ?? null,
      triggerRef: origin.triggerRef ?? null,
      reason: origin.reason ?? null,
      ...(origin.waitForApproval ? { status: 'waiting_for_approval' as const, approvalReason: origin.waitForApproval } : {}),
      tasks: { create: taskRows(req) },
    },
    include: { tasks: true },
  });
  if (origin.waitForApproval) return build;

  try {
    // The flow's span is the parent of every agent's task and of the merger's publish.
    await inSpan('api.flow', () => addFlows(deps, flowsOf(deps, build.id, stored, build.tasks, settings, origin.triggerRef)), {
      attributes: { 'archway.build_id': build.id, 'archway.trigger': trigger },
    });
    deps.metrics?.buildsCreated.inc({ trigger });
  } catch (err) {
    await deps.prisma.build.delete({ where: { id: build.id } }).catch(() => {});
    throw new ServiceUnavailableError(`the build could not be queued (Redis: ${(err as Error).message}); nothing was created, try again`);
  }
  return build;
}

/** One task per platform; with several images, one per image × platform. */
function taskRows(req: BuildRequest): { platform: string; image?: string }[] {
  if (!req.images) return req.platforms.map((platform) => ({ platform }));
  return req.images.flatMap((img) => img.platforms.map((platform) => ({ platform, image: img.name })));
}

/** All flows of a build in one MULTI (addBulk): every image's flow is queued, or none. */
async function addFlows(deps: CreateBuildDeps, flows: FlowJob[]): Promise<void> {
  if (flows.length === 1) await deps.queues.flow.add(flows[0]!);
  else await deps.queues.flow.addBulk(flows);
}

function flowsOf(deps: CreateBuildDeps, buildId: string, request: StoredRequest, tasks: Task[], settings: RepoBuildSettings, triggerRef?: string | null) {
  return buildFlows(buildId, request, tasks, {
    supply: publishSupply(deps.publicUrl, request, settings, triggerRef),
    ...(deps.buildAttempts ? { attempts: deps.buildAttempts } : {}),
    ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
    secretsFor: sealerFor(deps.agentSecretKey, settings.secrets),
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
