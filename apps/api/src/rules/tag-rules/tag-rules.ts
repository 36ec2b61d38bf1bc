import type { TagRules } from '@archway/contract';
import { compareVersions, formatVersion, parseVersion } from './semver.ts';

/** What a push or pull request was about, as far as image tags are concerned. */
export type TagTrigger =
  | { kind: 'branch'; branch: string; commit: string; isDefault: boolean }
  | {
      kind: 'tag';
      tag: string;
      commit: string;
      /** Every tag name of the repository (for `semverLatest: highest`); undefined when unknown. */
      repoTags?: string[];
    }
  | { kind: 'pr'; number: number; commit: string };

/**
 * Docker tags allow `[A-Za-z0-9_.-]`, start with a letter, digit or `_`, and stop at 128
 * characters: `feature/Login` → `feature-login`.
 */
export function sanitizeTag(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '');
}

/**
 * The image tags a trigger produces under a repository's rules, in a stable order without
 * repeats. Pull requests produce none: they build but never push.
 */
export function deriveTags(trigger: TagTrigger, rules: TagRules): string[] {
  const tags: string[] = [];
  const add = (t: string) => {
    if (t && !tags.includes(t)) tags.push(t);
  };
  if (trigger.kind === 'pr') return tags;
  if (trigger.kind === 'branch') {
    if (trigger.isDefault) {
      if (rules.defaultBranchLatest) add('latest');
      if (rules.defaultBranchSha) add(`sha-${trigger.commit.slice(0, 7)}`);
    } else if (rules.branches) {
      add(sanitizeTag(trigger.branch));
    }
    return tags;
  }
  const version = rules.semver ? parseVersion(trigger.tag) : undefined;
  if (!version) {
    if (rules.otherTags) add(sanitizeTag(trigger.tag));
    return tags;
  }
  add(formatVersion(version));
  // Pre-releases never move the floating tags: `1`, `1.2` and `latest` point at releases only.
  if (version.prerelease.length > 0) return tags;
  add(`${version.major}.${version.minor}`);
  add(String(version.major));
  if (rules.semverLatest === 'always' || (rules.semverLatest === 'highest' && isHighest(trigger.tag, trigger.repoTags))) add('latest');
  return tags;
}

/** True when no release among the repository's tags is higher; unknown tags (undefined) → false. */
function isHighest(tag: string, repoTags: string[] | undefined): boolean {
  const own = parseVersion(tag)!;
  if (!repoTags) return false;
  for (const other of repoTags) {
    const v = parseVersion(other);
    if (v && v.prerelease.length === 0 && compareVersions(v, own) > 0) return false;
  }
  return true;
}
