import { randomBytes } from 'node:crypto';
import { parseDuration, type RepoCreate, type RepoUpdate } from '@archway/contract';
import { keepMaskedCredentials } from '@archway/runtime';
import { checkSourceAddress, checkSourceUrl, storedSecrets, UUID_RE } from '../builds/index.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';
import { BadRequestError, ConflictError, HttpError, NotFoundError } from '../../infra/errors.ts';
import type { Prisma, Repo as RepoRow } from '../../generated/prisma/client.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { repoTagRules } from './serialize.ts';

export interface RepoDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  /** file:// and private-address clone URLs allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocalSources?: boolean;
}

export function generateWebhookSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** checkSourceUrl names `source.url`; here the field is `cloneUrl`. */
async function checkCloneUrl(url: string, allowLocal: boolean): Promise<void> {
  try {
    checkSourceUrl(url);
  } catch (err) {
    if (err instanceof HttpError) throw new BadRequestError(err.message.replace(/source\.url/g, 'cloneUrl'), 'cloneUrl');
    throw err;
  }
  await checkSourceAddress(url, allowLocal, 'cloneUrl');
}

const MIN_TIMEOUT_MS = 60_000;
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** `30m` → ms, within 1 minute and 24 hours (an agent holds the job that long at most). */
function buildTimeoutMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new BadRequestError('buildTimeout: must be a duration like "30m", "1h30m" or "90s"', 'buildTimeout');
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) throw new BadRequestError(`buildTimeout: must be between 1m and 24h (got ${text})`, 'buildTimeout');
  return ms;
}

const MIN_QUEUE_WAIT_MS = 1000;
const MAX_QUEUE_WAIT_MS = 30 * 86_400_000;

/** `15m` → ms, within 1 second and 30 days. */
function queueWaitLimitMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new BadRequestError('queueWaitLimit: must be a duration like "15m", "2h" or "90s"', 'queueWaitLimit');
  if (ms < MIN_QUEUE_WAIT_MS || ms > MAX_QUEUE_WAIT_MS) throw new BadRequestError(`queueWaitLimit: must be between 1s and 30d (got ${text})`, 'queueWaitLimit');
  return ms;
}

/** Seals the given values (null removes the id) over the stored ones; each value is bound to its id. */
function sealSecrets(box: SecretBox, current: unknown, changes: Record<string, string | null>): Record<string, string> {
  const next = { ...storedSecrets(current) };
  for (const [id, value] of Object.entries(changes)) {
    if (value === null) delete next[id];
    else next[id] = box.seal(value, `build-secret:${id}`);
  }
  if (Object.keys(next).length > 50) throw new BadRequestError('secrets: a repository has at most 50 build secrets', 'secrets');
  return next;
}

export async function findRepo(prisma: PrismaClient, id: string): Promise<RepoRow> {
  const repo = UUID_RE.test(id) ? await prisma.repo.findUnique({ where: { id } }) : null;
  if (!repo) throw new NotFoundError(`repository ${id} not found`, 'id');
  return repo;
}

async function ensureUnique(prisma: PrismaClient, provider: string, fullName: string, exceptId?: string): Promise<void> {
  const clash = await prisma.repo.findFirst({
    where: { provider, fullName: { equals: fullName, mode: 'insensitive' }, ...(exceptId ? { NOT: { id: exceptId } } : {}) },
  });
  if (clash) throw new ConflictError(`${provider} repository ${clash.fullName} is already registered (id ${clash.id})`, 'fullName');
}

/** Registers a repository; returns the row and the webhook secret in clear (shown once). */
export async function createRepo(deps: RepoDeps, input: RepoCreate): Promise<{ repo: RepoRow; webhookSecret: string }> {
  await checkCloneUrl(input.cloneUrl, deps.allowLocalSources ?? false);
  const timeoutMs = input.buildTimeout !== undefined ? buildTimeoutMs(input.buildTimeout) : null;
  const waitMs = input.queueWaitLimit !== undefined ? queueWaitLimitMs(input.queueWaitLimit) : null;
  await ensureUnique(deps.prisma, input.provider, input.fullName);
  const webhookSecret = input.webhookSecret ?? generateWebhookSecret();
  try {
    const repo = await deps.prisma.repo.create({
      data: {
        fullName: input.fullName,
        provider: input.provider,
        cloneUrl: input.cloneUrl,
        defaultBranch: input.defaultBranch,
        apiUrl: input.apiUrl ?? null,
        image: input.image ?? null,
        pushTargets: input.pushTargets,
        containerfile: input.containerfile ?? null,
        context: input.context,
        platforms: input.platforms,
        buildArgs: input.buildArgs,
        tagRules: input.tagRules,
        cancelSupersededBranches: input.cancelSuperseded.branches,
        cancelSupersededPulls: input.cancelSuperseded.pullRequests,
        webhookSecret: deps.secretBox.seal(webhookSecret, 'webhook-secret'),
        forgeToken: input.forgeToken ? deps.secretBox.seal(input.forgeToken, 'forge-token') : null,
        buildSecrets: sealSecrets(deps.secretBox, {}, input.secrets ?? {}),
        buildTimeoutMs: timeoutMs,
        queueWaitLimitMs: waitMs,
        pullRequestSecrets: input.pullRequestSecrets,
        requireApproval: input.requireApproval,
        layerCache: input.layerCache ?? null,
        rebuildOnBaseChange: input.rebuildOnBaseChange,
        attestations: input.attestations,
      },
    });
    return { repo, webhookSecret };
  } catch (err) {
    if (prismaCode(err) === 'P2002') throw new ConflictError(`${input.provider} repository ${input.fullName} is already registered`, 'fullName');
    throw err;
  }
}

/** Applies a partial update; returns the new webhook secret when it was set or rotated. */
export async function updateRepo(deps: RepoDeps, id: string, input: RepoUpdate): Promise<{ repo: RepoRow; webhookSecret?: string }> {
  const current = await findRepo(deps.prisma, id);
  const cloneUrl = input.cloneUrl === undefined ? undefined : keepMaskedCredentials(input.cloneUrl, current.cloneUrl);
  if (input.cloneUrl !== undefined && cloneUrl === undefined) {
    throw new BadRequestError(
      'cloneUrl: "***" stands for the stored credentials only on the same scheme, host and port; give the credentials for the new server',
      'cloneUrl',
    );
  }
  if (cloneUrl !== undefined) await checkCloneUrl(cloneUrl, deps.allowLocalSources ?? false);
  const data: Prisma.RepoUpdateInput = {};
  if (cloneUrl !== undefined) data.cloneUrl = cloneUrl;
  if (input.defaultBranch !== undefined) data.defaultBranch = input.defaultBranch;
  if (input.apiUrl !== undefined) data.apiUrl = input.apiUrl;
  if (input.image !== undefined) data.image = input.image;
  if (input.pushTargets !== undefined) data.pushTargets = input.pushTargets;
  if (input.containerfile !== undefined) data.containerfile = input.containerfile;
  if (input.context !== undefined) data.context = input.context;
  if (input.platforms !== undefined) data.platforms = input.platforms;
  if (input.buildArgs !== undefined) data.buildArgs = input.buildArgs;
  if (input.tagRules !== undefined) data.tagRules = { ...repoTagRules(current), ...input.tagRules };
  if (input.cancelSuperseded?.branches !== undefined) data.cancelSupersededBranches = input.cancelSuperseded.branches;
  if (input.cancelSuperseded?.pullRequests !== undefined) data.cancelSupersededPulls = input.cancelSuperseded.pullRequests;
  if (input.buildTimeout !== undefined) data.buildTimeoutMs = input.buildTimeout === null ? null : buildTimeoutMs(input.buildTimeout);
  if (input.queueWaitLimit !== undefined) data.queueWaitLimitMs = input.queueWaitLimit === null ? null : queueWaitLimitMs(input.queueWaitLimit);
  if (input.pullRequestSecrets !== undefined) data.pullRequestSecrets = input.pullRequestSecrets;
  if (input.requireApproval !== undefined) data.requireApproval = input.requireApproval;
  if (input.layerCache !== undefined) data.layerCache = input.layerCache;
  if (input.rebuildOnBaseChange !== undefined) data.rebuildOnBaseChange = input.rebuildOnBaseChange;
  if (input.attestations !== undefined) data.attestations = input.attestations;
  if (input.secrets !== undefined) data.buildSecrets = sealSecrets(deps.secretBox, current.buildSecrets, input.secrets);
  if (input.forgeToken !== undefined) data.forgeToken = input.forgeToken === null ? null : deps.secretBox.seal(input.forgeToken, 'forge-token');
  let webhookSecret: string | undefined;
  if (input.webhookSecret !== undefined || input.rotateWebhookSecret) {
    webhookSecret = input.webhookSecret ?? generateWebhookSecret();
    data.webhookSecret = deps.secretBox.seal(webhookSecret, 'webhook-secret');
  }
  const repo = await deps.prisma.repo.update({ where: { id: current.id }, data });
  return { repo, ...(webhookSecret !== undefined ? { webhookSecret } : {}) };
}

/** Removes a repository and its deliveries; its builds stay (without the link). */
export async function deleteRepo(prisma: PrismaClient, id: string): Promise<void> {
  const repo = await findRepo(prisma, id);
  await prisma.repo.delete({ where: { id: repo.id } });
}
