import { BuildRequest, CANCELABLE_BUILD_STATUSES, type TagRules } from '@archway/contract';
import { ARCHWAY_YAML, parseArchwayYaml, renderTagTemplates, type ArchwayYaml } from '../../rules/archway-yaml/index.ts';
import { cancelBuild, checkSourceAddress, createBuild } from '../builds/index.ts';
import type { AppDeps } from '../../deps.ts';
import { HttpError, UnprocessableError } from '../../infra/errors.ts';
import type { Build, Repo as RepoRow } from '../../generated/prisma/client.ts';
import { enqueueStatus, STATUS_QUEUE } from '../../workers/statuses/index.ts';
import { deriveTags, sanitizeTag, type TagTrigger } from '../../rules/tag-rules/index.ts';
import { GitError, listTags, readFileAtCommit } from './git.ts';
import { repoTagRules } from './serialize.ts';

/** What a push, a tag or a pull request asks to build, with the commit already known. */
export type RepoTrigger =
  | { kind: 'branch'; branch: string; commit: string }
  | { kind: 'tag'; tag: string; commit: string }
  | { kind: 'pr'; number: number; commit: string };

export interface TriggerResult {
  build: Build;
  /** Builds of the same branch or PR canceled because this one supersedes them. */
  canceled: string[];
}

export function triggerRef(t: RepoTrigger): string {
  return t.kind === 'branch' ? `branch:${t.branch}` : t.kind === 'tag' ? `tag:${t.tag}` : `pr:${t.number}`;
}

/** The ref agents fetch when fetching by commit id is refused (pull requests live under refs/pull). */
function sourceRef(t: RepoTrigger): string {
  return t.kind === 'branch' ? t.branch : t.kind === 'tag' ? t.tag : `refs/pull/${t.number}/head`;
}

/**
 * Builds a commit of a registered repository: reads `.archway.yaml` at the commit, derives the
 * tags, creates the build (a failed one, with the reason, when the file is invalid), cancels
 * the builds it supersedes and queues the `pending` commit status.
 * The clone URL is always the registered one, never one from a webhook body.
 */
export async function triggerRepoBuild(deps: AppDeps, repo: RepoRow, t: RepoTrigger, how: string): Promise<TriggerResult> {
  // Before the API itself fetches from it: local sources may have been disallowed since registration.
  await checkSourceAddress(repo.cloneUrl, deps.allowLocalSources ?? false, 'cloneUrl');
  let yamlText: string | undefined;
  try {
    yamlText = await readFileAtCommit(repo.cloneUrl, t.commit, ARCHWAY_YAML, deps.gitTimeoutMs);
  } catch (err) {
    if (err instanceof GitError) throw new UnprocessableError(`cannot read ${ARCHWAY_YAML} at ${t.commit}: ${err.message}`, 'commit');
    throw err;
  }
  const origin = { repoId: repo.id, triggerRef: triggerRef(t) };
  let overrides: ArchwayYaml = {};
  if (yamlText !== undefined) {
    const parsed = parseArchwayYaml(yamlText);
    if (!parsed.ok) return { build: await createFailedBuild(deps, repo, t, how, parsed.reason), canceled: [] };
    overrides = parsed.config;
  }

  const tags = await tagsFor(repo, t, overrides, repoTagRules(repo), deps.gitTimeoutMs);
  const push = t.kind !== 'pr' && repo.image !== null && tags.length > 0;
  const req = BuildRequest.parse({
    source: { url: repo.cloneUrl, ref: sourceRef(t), commit: t.commit },
    ...((overrides.containerfile ?? repo.containerfile) ? { containerfile: overrides.containerfile ?? repo.containerfile } : {}),
    context: overrides.context ?? repo.context,
    ...(overrides.target ? { target: overrides.target } : {}),
    platforms: overrides.platforms ?? repo.platforms,
    ...(repo.image ? { image: repo.image } : {}),
    tags: push ? tags : [],
    buildArgs: { ...((repo.buildArgs ?? {}) as Record<string, string>), ...(overrides.buildArgs ?? {}) },
    push,
  });
  const build = await createBuild(deps, req, how, origin);
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId: build.id, stage: 'pending' }).catch(() => {
    // Best effort: the recorder's first change of this build queues `pending` again.
  });
  const canceled = await cancelSuperseded(deps, repo, t, build);
  return { build, canceled };
}

async function tagsFor(repo: RepoRow, t: RepoTrigger, overrides: ArchwayYaml, rules: TagRules, timeoutMs?: number): Promise<string[]> {
  if (t.kind === 'pr') return [];
  if (overrides.tags) {
    return renderTagTemplates(overrides.tags, {
      sha: t.commit.slice(0, 7),
      ...(t.kind === 'branch' ? { branch: sanitizeTag(t.branch) } : { tag: sanitizeTag(t.tag) }),
    });
  }
  let trigger: TagTrigger;
  if (t.kind === 'branch') {
    trigger = { kind: 'branch', branch: t.branch, commit: t.commit, isDefault: t.branch === repo.defaultBranch };
  } else {
    // "Highest release" needs the repository's other tags; unknown tags never claim `latest`.
    const repoTags = rules.semverLatest === 'highest' ? await listTags(repo.cloneUrl, timeoutMs).catch(() => undefined) : [];
    trigger = { kind: 'tag', tag: t.tag, commit: t.commit, ...(repoTags ? { repoTags } : {}) };
  }
  return deriveTags(trigger, rules);
}

/** A build that fails before any agent sees it (an invalid .archway.yaml), so the reason shows on it and on the forge. */
async function createFailedBuild(deps: AppDeps, repo: RepoRow, t: RepoTrigger, how: string, reason: string): Promise<Build> {
  const now = new Date();
  const build = await deps.prisma.build.create({
    data: {
      sourceUrl: repo.cloneUrl,
      ref: sourceRef(t),
      commit: t.commit,
      containerfile: repo.containerfile,
      context: repo.context,
      platforms: repo.platforms,
      image: repo.image,
      tags: [],
      buildArgs: repo.buildArgs ?? {},
      push: false,
      trigger: how,
      status: 'failed',
      error: reason,
      finishedAt: now,
      repoId: repo.id,
      triggerRef: triggerRef(t),
    },
  });
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId: build.id, stage: 'final' }).catch(() => {});
  return build;
}

async function cancelSuperseded(deps: AppDeps, repo: RepoRow, t: RepoTrigger, build: Build): Promise<string[]> {
  const enabled = t.kind === 'branch' ? repo.cancelSupersededBranches : t.kind === 'pr' ? repo.cancelSupersededPulls : false;
  if (!enabled) return [];
  const older = await deps.prisma.build.findMany({
    where: {
      repoId: repo.id,
      triggerRef: build.triggerRef,
      status: { in: [...CANCELABLE_BUILD_STATUSES] },
      id: { not: build.id },
      createdAt: { lte: build.createdAt },
    },
    select: { id: true },
  });
  // At once: each cancel waits for the recorder to apply it, and a forge waits for this answer.
  const outcomes = await Promise.all(
    older.map(({ id }) =>
      cancelBuild(deps, id).then(
        () => id,
        (err: unknown) => {
          if (!(err instanceof HttpError)) throw err;
          return undefined; // finished meanwhile (409): nothing to cancel
        },
      ),
    ),
  );
  return outcomes.filter((id): id is string => id !== undefined);
}
