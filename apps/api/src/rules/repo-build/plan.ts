import { BuildRequest, type TagRules } from '@archway/contract';
import { parseArchwayYaml, renderTagTemplates, type ArchwayYaml } from '../archway-yaml/index.ts';
import { deriveTags, sanitizeTag, type TagTrigger } from '../tag-rules/index.ts';
import { sourceRef, type RepoTrigger } from './trigger.ts';

/** The repository settings a build of it starts from (`.archway.yaml` overrides some). */
export interface RepoSettings {
  /** github, forgejo, gitlab: where a pull request's head lives. */
  provider: string;
  cloneUrl: string;
  defaultBranch: string;
  image: string | null;
  containerfile: string | null;
  context: string;
  platforms: string[];
  buildArgs: unknown;
  tagRules: TagRules;
  /** Extra destinations of the image (registry host and path), pushed with the same tags. */
  pushTargets: string[];
}

/** Everything the plan is made from; the resolver worker does the git that finds it. */
export interface RepoBuildInput {
  repo: RepoSettings;
  trigger: RepoTrigger;
  /** `.archway.yaml` at the commit; undefined: the commit has none. */
  archwayYaml: string | undefined;
  /** Every tag of the repository, when needsRepoTags said so; undefined: they could not be listed. */
  repoTags?: string[] | undefined;
}

export type RepoBuildPlan = { ok: true; request: BuildRequest } | { ok: false; reason: string };

/** "Highest release" needs the repository's other tags (`git ls-remote`, done by the caller). */
export function needsRepoTags(trigger: RepoTrigger, rules: TagRules): boolean {
  return trigger.kind === 'tag' && rules.semverLatest === 'highest';
}

/**
 * The build a commit of a registered repository asks for: the repository's settings, overridden by
 * its `.archway.yaml`, with the tags its tag rules (or the file's templates) derive. A pure
 * function: an invalid file is a plan that fails with the file's reason, nothing throws.
 */
export function planRepoBuild(input: RepoBuildInput): RepoBuildPlan {
  const { repo, trigger: t } = input;
  let overrides: ArchwayYaml = {};
  if (input.archwayYaml !== undefined) {
    const parsed = parseArchwayYaml(input.archwayYaml);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    overrides = parsed.config;
  }
  const tags = tagsFor(input, overrides);
  const push = t.kind !== 'pr' && repo.image !== null && tags.length > 0;
  const containerfile = overrides.containerfile ?? repo.containerfile;
  const request = BuildRequest.parse({
    source: { url: repo.cloneUrl, ref: sourceRef(t, repo.provider), commit: t.commit },
    ...(containerfile ? { containerfile } : {}),
    context: overrides.context ?? repo.context,
    platforms: overrides.platforms ?? repo.platforms,
    ...(repo.image ? { image: repo.image } : {}),
    ...(push && repo.pushTargets.length ? { targets: repo.pushTargets } : {}),
    tags: push ? tags : [],
    buildArgs: { ...((repo.buildArgs ?? {}) as Record<string, string>), ...(overrides.buildArgs ?? {}) },
    push,
  });
  return { ok: true, request };
}

function tagsFor({ repo, trigger: t, repoTags }: RepoBuildInput, overrides: ArchwayYaml): string[] {
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
    // Unknown tags (the listing failed) never claim `latest`.
    const known = needsRepoTags(t, repo.tagRules) ? repoTags : [];
    trigger = { kind: 'tag', tag: t.tag, commit: t.commit, ...(known ? { repoTags: known } : {}) };
  }
  return deriveTags(trigger, repo.tagRules);
}
