import { CancelSuperseded, formatDuration, TagRules, type Repo, type RepoProvider } from '@archway/contract';
import { redactUrl } from '@archway/runtime';
import { storedSecrets } from '../builds/index.ts';
import type { Repo as RepoRow } from '../../generated/prisma/client.ts';

/**
 * A repository's webhook endpoint: Gitea repositories use the Forgejo one (same payloads). The
 * id in the URL picks the secret to verify with before the body is parsed.
 */
export function hookPath(provider: string, repoId: string): string {
  const endpoint = provider === 'github' || provider === 'gitlab' ? provider : 'forgejo';
  return `/hooks/${endpoint}/${repoId}`;
}

/** A repository as the API shows it: never the sealed secrets, only whether a forge token is set and the build secrets' ids. */
export function toRepo(row: RepoRow, publicUrl: string, webhookSecret?: string): Repo {
  return {
    id: row.id,
    fullName: row.fullName,
    provider: row.provider as RepoProvider,
    // Credentials in the URL stay in the database (the agents clone with them), never in answers.
    cloneUrl: redactUrl(row.cloneUrl),
    defaultBranch: row.defaultBranch,
    apiUrl: row.apiUrl,
    image: row.image,
    pushTargets: row.pushTargets,
    containerfile: row.containerfile,
    context: row.context,
    platforms: row.platforms,
    buildArgs: (row.buildArgs ?? {}) as Record<string, string>,
    tagRules: repoTagRules(row),
    cancelSuperseded: CancelSuperseded.parse({ branches: row.cancelSupersededBranches, pullRequests: row.cancelSupersededPulls }),
    hasForgeToken: row.forgeToken !== null,
    secrets: Object.keys(storedSecrets(row.buildSecrets)).sort(),
    pullRequestSecrets: row.pullRequestSecrets,
    requireApproval: row.requireApproval,
    attestations: row.attestations,
    buildTimeout: row.buildTimeoutMs ? formatDuration(row.buildTimeoutMs) : null,
    layerCache: row.layerCache,
    queueWaitLimit: row.queueWaitLimitMs ? formatDuration(row.queueWaitLimitMs) : null,
    rebuildOnBaseChange: row.rebuildOnBaseChange,
    webhookUrl: `${publicUrl}${hookPath(row.provider, row.id)}`,
    ...(webhookSecret !== undefined ? { webhookSecret } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Stored rules with today's defaults filled in (a rule added later applies its default). */
export function repoTagRules(row: Pick<RepoRow, 'tagRules'>): TagRules {
  const parsed = TagRules.safeParse(row.tagRules ?? {});
  return parsed.success ? parsed.data : TagRules.parse({});
}
