import type { CancelSuperseded, Repo, RepoUpdateInput, TagRules } from '@archway/contract';

/** The repository settings as the edit form holds them (text fields as typed). */
export interface SettingsForm {
  cloneUrl: string;
  defaultBranch: string;
  apiUrl: string;
  image: string;
  /** Push targets, separated by spaces, commas or lines. */
  pushTargets: string;
  containerfile: string;
  context: string;
  platforms: string;
  buildArgs: string;
  tagRules: TagRules;
  cancelSuperseded: CancelSuperseded;
  buildTimeout: string;
  queueWaitLimit: string;
  pullRequestSecrets: boolean;
  requireApproval: boolean;
  /** `default` (the server's ARCHWAY_LAYER_CACHE), `on` or `off`. */
  layerCache: 'default' | 'on' | 'off';
  rebuildOnBaseChange: boolean;
  attestations: boolean;
}

export const splitList = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function formatBuildArgs(args: Record<string, string>): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** `NAME=value` per line (the value may hold `=`); blank lines are skipped. */
export function parseBuildArgs(text: string): { args: Record<string, string> } | { error: string } {
  const args: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `build args line ${i + 1}: write NAME=value (got "${line.slice(0, 40)}")` };
    args[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { args };
}

export function formFromRepo(repo: Repo): SettingsForm {
  return {
    cloneUrl: repo.cloneUrl,
    defaultBranch: repo.defaultBranch,
    apiUrl: repo.apiUrl ?? '',
    image: repo.image ?? '',
    pushTargets: repo.pushTargets.join('\n'),
    containerfile: repo.containerfile ?? '',
    context: repo.context,
    platforms: repo.platforms.join(', '),
    buildArgs: formatBuildArgs(repo.buildArgs),
    tagRules: { ...repo.tagRules },
    cancelSuperseded: { ...repo.cancelSuperseded },
    buildTimeout: repo.buildTimeout ?? '',
    queueWaitLimit: repo.queueWaitLimit ?? '',
    pullRequestSecrets: repo.pullRequestSecrets,
    requireApproval: repo.requireApproval,
    layerCache: repo.layerCache === null ? 'default' : repo.layerCache ? 'on' : 'off',
    rebuildOnBaseChange: repo.rebuildOnBaseChange,
    attestations: repo.attestations,
  };
}

const sameRecord = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * The PATCH body for what changed (a PATCH changes only the fields given): empty optional fields
 * become null (removed), unchanged ones are left out. `error` names the field of a bad entry.
 */
export function patchFromForm(repo: Repo, form: SettingsForm): { patch: RepoUpdateInput } | { error: string; field: string } {
  const patch: RepoUpdateInput = {};
  const text = (v: string) => v.trim();
  const orNull = (v: string) => (v.trim() === '' ? null : v.trim());
  if (text(form.cloneUrl) !== repo.cloneUrl) patch.cloneUrl = text(form.cloneUrl);
  if (text(form.defaultBranch) !== repo.defaultBranch) patch.defaultBranch = text(form.defaultBranch);
  if (orNull(form.apiUrl) !== repo.apiUrl) patch.apiUrl = orNull(form.apiUrl);
  if (orNull(form.image) !== repo.image) patch.image = orNull(form.image);
  const targets = splitList(form.pushTargets);
  if (targets.join(',') !== repo.pushTargets.join(',')) patch.pushTargets = targets;
  if (orNull(form.containerfile) !== repo.containerfile) patch.containerfile = orNull(form.containerfile);
  const context = text(form.context) || '.';
  if (context !== repo.context) patch.context = context;
  const platforms = splitList(form.platforms);
  if (platforms.join(',') !== repo.platforms.join(',')) patch.platforms = platforms;
  const args = parseBuildArgs(form.buildArgs);
  if ('error' in args) return { error: args.error, field: 'buildArgs' };
  if (!sameRecord(args.args, repo.buildArgs)) patch.buildArgs = args.args;
  const rules: NonNullable<RepoUpdateInput['tagRules']> = {};
  for (const k of Object.keys(form.tagRules) as (keyof TagRules)[]) {
    if (form.tagRules[k] !== repo.tagRules[k]) (rules as Record<string, unknown>)[k] = form.tagRules[k];
  }
  if (Object.keys(rules).length) patch.tagRules = rules;
  const cancel: NonNullable<RepoUpdateInput['cancelSuperseded']> = {};
  if (form.cancelSuperseded.branches !== repo.cancelSuperseded.branches) cancel.branches = form.cancelSuperseded.branches;
  if (form.cancelSuperseded.pullRequests !== repo.cancelSuperseded.pullRequests) cancel.pullRequests = form.cancelSuperseded.pullRequests;
  if (Object.keys(cancel).length) patch.cancelSuperseded = cancel;
  const timeout = orNull(form.buildTimeout)?.toLowerCase() ?? null;
  if (timeout !== repo.buildTimeout) patch.buildTimeout = timeout;
  const wait = orNull(form.queueWaitLimit)?.toLowerCase() ?? null;
  if (wait !== repo.queueWaitLimit) patch.queueWaitLimit = wait;
  if (form.pullRequestSecrets !== repo.pullRequestSecrets) patch.pullRequestSecrets = form.pullRequestSecrets;
  if (form.requireApproval !== repo.requireApproval) patch.requireApproval = form.requireApproval;
  const layerCache = form.layerCache === 'default' ? null : form.layerCache === 'on';
  if (layerCache !== repo.layerCache) patch.layerCache = layerCache;
  if (form.rebuildOnBaseChange !== repo.rebuildOnBaseChange) patch.rebuildOnBaseChange = form.rebuildOnBaseChange;
  if (form.attestations !== repo.attestations) patch.attestations = form.attestations;
  return { patch };
}
