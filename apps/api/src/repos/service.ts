import { randomBytes } from 'node:crypto';
import type { RepoCreate, RepoUpdate } from '@archway/shared';
import { checkSourceUrl } from '../builds/git.ts';
import type { PrismaClient } from '../db.ts';
import { prismaCode } from '../db.ts';
import { BadRequestError, ConflictError, HttpError, NotFoundError } from '../errors.ts';
import type { Prisma, Repo as RepoRow } from '../generated/prisma/client.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { UUID_RE } from '../builds/serialize.ts';
import { repoTagRules } from './serialize.ts';

export interface RepoDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
}

export function generateWebhookSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** checkSourceUrl names `source.url`; here the field is `cloneUrl`. */
function checkCloneUrl(url: string): void {
  try {
    checkSourceUrl(url);
  } catch (err) {
    if (err instanceof HttpError) throw new BadRequestError(err.message.replace(/source\.url/g, 'cloneUrl'), 'cloneUrl');
    throw err;
  }
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
  checkCloneUrl(input.cloneUrl);
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
        containerfile: input.containerfile ?? null,
        context: input.context,
        platforms: input.platforms,
        buildArgs: input.buildArgs,
        tagRules: input.tagRules,
        cancelSupersededBranches: input.cancelSuperseded.branches,
        cancelSupersededPulls: input.cancelSuperseded.pullRequests,
        webhookSecret: deps.secretBox.seal(webhookSecret, 'webhook-secret'),
        forgeToken: input.forgeToken ? deps.secretBox.seal(input.forgeToken, 'forge-token') : null,
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
  if (input.cloneUrl !== undefined) checkCloneUrl(input.cloneUrl);
  const data: Prisma.RepoUpdateInput = {};
  if (input.cloneUrl !== undefined) data.cloneUrl = input.cloneUrl;
  if (input.defaultBranch !== undefined) data.defaultBranch = input.defaultBranch;
  if (input.apiUrl !== undefined) data.apiUrl = input.apiUrl;
  if (input.image !== undefined) data.image = input.image;
  if (input.containerfile !== undefined) data.containerfile = input.containerfile;
  if (input.context !== undefined) data.context = input.context;
  if (input.platforms !== undefined) data.platforms = input.platforms;
  if (input.buildArgs !== undefined) data.buildArgs = input.buildArgs;
  if (input.tagRules !== undefined) data.tagRules = { ...repoTagRules(current), ...input.tagRules };
  if (input.cancelSuperseded?.branches !== undefined) data.cancelSupersededBranches = input.cancelSuperseded.branches;
  if (input.cancelSuperseded?.pullRequests !== undefined) data.cancelSupersededPulls = input.cancelSuperseded.pullRequests;
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
