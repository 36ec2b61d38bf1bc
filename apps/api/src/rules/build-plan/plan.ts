import { BuildRequest, type TagRules } from '@archway/contract';
import { ARCHWAY_YAML, parseArchwayYaml, renderTagTemplates, type ArchwayYaml, type YamlImage } from '../archway-yaml/index.ts';
import { deriveTags, sanitizeTag, type TagTrigger } from '../tag-rules/index.ts';
import { pathFilter, refFilter, skipMarkerOf } from '../when/index.ts';
import { sourceRef, type RefTrigger } from './trigger.ts';

/** A registered repository's build settings: what `.archway.yaml` overrides. */
export interface RepoBuildDefaults {
  cloneUrl: string;
  /** github, forgejo, gitea or gitlab: where pull (merge) requests live. */
  provider: string;
  defaultBranch: string;
  image: string | null;
  containerfile: string | null;
  context: string;
  platforms: string[];
  buildArgs: Record<string, string>;
  tagRules: TagRules;
  /** Pull requests the forge calls untrusted (forks, first-time contributors) wait for approval. */
  requireApproval: boolean;
  /** Extra destinations of the image (registry host and path), pushed with the same tags. */
  pushTargets: string[];
}

/** What git says of the commit (read by the caller; nothing here does I/O). */
export interface CommitInfo {
  /** `.archway.yaml` at the commit, if it has one. */
  yaml?: string | undefined;
  message: string;
  /** Files changed by the push; undefined when unknown (new branch, force push, pull request). */
  changed?: string[] | undefined;
}

export interface PlanInput {
  repo: RepoBuildDefaults;
  trigger: RefTrigger;
  /** A forge's push or pull request: skip markers and `when:` apply. A person's explicit build ignores them. */
  automatic: boolean;
  commit: CommitInfo;
  /** Every tag of the repository, for "is this the highest release"; undefined: unknown (never claims `latest`). */
  repoTags?: string[] | undefined;
}

export type BuildPlan =
  /** Build this; `approval` says why it must first wait for a person's approval. */
  | { kind: 'build'; request: BuildRequest; approval?: string }
  /** `.archway.yaml` is invalid: the build fails before any agent starts, with this reason. */
  | { kind: 'invalid'; reason: string }
  /** Nothing is built; `status`: the forge is told why on the commit (else the push is simply not ours to build). */
  | { kind: 'skip'; reason: string; status: boolean };

/** "Highest release" needs the repository's other tags (`git ls-remote`, done by the caller). */
export function needsRepoTags(trigger: RefTrigger, rules: TagRules): boolean {
  return trigger.kind === 'tag' && rules.semverLatest === 'highest';
}

/**
 * Whether planning this commit needs its changed paths (a second fetch, done by the caller): only
 * an automatic build whose `.archway.yaml` has `when.paths` or `when.paths-ignore`. An invalid
 * file needs none: the plan fails it without looking.
 */
export function needsChangedPaths(automatic: boolean, yaml: string | undefined): boolean {
  if (!automatic || yaml === undefined) return false;
  const parsed = parseArchwayYaml(yaml);
  return parsed.ok && !!(parsed.config.when?.paths || parsed.config.when?.['paths-ignore']);
}

/**
 * The one turn from (`.archway.yaml`, repository settings, trigger) into what to build: a pure
 * function, so the places that start builds (webhooks, repository builds, background resolving)
 * all decide the same way.
 */
export function planBuild(input: PlanInput): BuildPlan {
  const { trigger: t, repo } = input;
  const marker = input.automatic ? skipMarkerOf(input.commit.message) : undefined;
  if (marker) return { kind: 'skip', reason: `skipped: ${marker}`, status: true };

  let config: ArchwayYaml = {};
  if (input.commit.yaml !== undefined) {
    const parsed = parseArchwayYaml(input.commit.yaml);
    if (!parsed.ok) return { kind: 'invalid', reason: parsed.reason };
    config = parsed.config;
  }
  if (input.automatic && t.kind !== 'pr') {
    const notOurs = refFilter(config.when, t);
    if (notOurs) return { kind: 'skip', reason: `not built: ${notOurs}`, status: false };
    const unchanged = pathFilter(config.when, input.commit.changed);
    if (unchanged) return { kind: 'skip', reason: `skipped: ${unchanged}`, status: true };
  }

  const source = { url: repo.cloneUrl, ref: sourceRef(t, repo.provider), commit: t.commit };
  const parsed = BuildRequest.safeParse(config.images ? severalImages(input, config, config.images, source) : { source, ...oneImage(input, config) });
  if (!parsed.success) {
    // What the file allows one by one but not together (e.g. more image × platform tasks than a build may have).
    const issue = parsed.error.issues[0]!;
    return { kind: 'invalid', reason: `${ARCHWAY_YAML}: ${issue.path.join('.')}: ${issue.message}` };
  }
  const request = parsed.data;
  const approval = t.kind === 'pr' && t.untrusted && repo.requireApproval ? t.untrusted : undefined;
  return { kind: 'build', request, ...(approval ? { approval } : {}) };
}

/** A build of one image: the repository's push targets go along when it is pushed. */
function oneImage(input: PlanInput, config: ArchwayYaml) {
  const img = imageOf(input, config, input.repo.image);
  return { ...img, ...(img.push && input.repo.pushTargets.length ? { targets: input.repo.pushTargets } : {}) };
}

/** One image's build settings: its own, else the file's top-level ones, else the repository's. */
function imageOf(input: PlanInput, own: ImageSettings, destination: string | null | undefined, defaults: ImageSettings = {}) {
  const { repo, trigger: t } = input;
  const tags = tagsFor(input, { tags: own.tags ?? defaults.tags });
  const push = t.kind !== 'pr' && !!destination && tags.length > 0;
  const containerfile = own.containerfile ?? defaults.containerfile ?? repo.containerfile;
  const target = own.target ?? defaults.target;
  return {
    ...(containerfile ? { containerfile } : {}),
    context: own.context ?? defaults.context ?? repo.context,
    ...(target ? { target } : {}),
    platforms: own.platforms ?? defaults.platforms ?? repo.platforms,
    ...(destination ? { image: destination } : {}),
    tags: push ? tags : [],
    buildArgs: { ...repo.buildArgs, ...(defaults.buildArgs ?? {}), ...(own.buildArgs ?? {}) },
    push,
  };
}

/**
 * `images:`: one image per entry, each with its own destination (an entry without `image` is
 * built, not pushed); the request's own platforms list them all, it pushes nothing itself.
 */
function severalImages(input: PlanInput, config: ArchwayYaml, images: YamlImage[], source: BuildRequest['source']) {
  const planned = images.map((img) => ({ name: img.name, ...imageOf(input, img, img.image, config) }));
  return {
    source,
    platforms: [...new Set(planned.flatMap((i) => i.platforms))],
    push: false,
    images: planned,
  };
}

type ImageSettings = Pick<ArchwayYaml, 'containerfile' | 'context' | 'target' | 'platforms' | 'buildArgs' | 'tags'>;

function tagsFor(input: PlanInput, config: { tags?: string[] | undefined }): string[] {
  const t = input.trigger;
  if (t.kind === 'pr') return [];
  if (config.tags) {
    return renderTagTemplates(config.tags, {
      sha: t.commit.slice(0, 7),
      ...(t.kind === 'branch' ? { branch: sanitizeTag(t.branch) } : { tag: sanitizeTag(t.tag) }),
    });
  }
  const trigger: TagTrigger =
    t.kind === 'branch'
      ? { kind: 'branch', branch: t.branch, commit: t.commit, isDefault: t.branch === input.repo.defaultBranch }
      : { kind: 'tag', tag: t.tag, commit: t.commit, ...(input.repoTags ? { repoTags: input.repoTags } : {}) };
  return deriveTags(trigger, input.repo.tagRules);
}
