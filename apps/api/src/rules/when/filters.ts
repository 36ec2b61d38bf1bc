import picomatch from 'picomatch';
import type { When } from './schema.ts';

const matcher = (patterns: string[]) => picomatch(patterns, { dot: true });

/** The ref of a push, as `when.branches` / `when.tags` see it. */
export type PushedRef = { kind: 'branch'; branch: string } | { kind: 'tag'; tag: string };

/** Why this branch or tag is not built, or undefined when it is (no list for its kind: every one is). */
export function refFilter(when: When | undefined, ref: PushedRef): string | undefined {
  const patterns = ref.kind === 'branch' ? when?.branches : when?.tags;
  if (!patterns) return undefined;
  const name = ref.kind === 'branch' ? ref.branch : ref.tag;
  if (matcher(patterns)(name)) return undefined;
  return `${ref.kind} ${name} matches none of when.${ref.kind === 'branch' ? 'branches' : 'tags'} (${patterns.join(', ')})`;
}

/**
 * Why a push that changed `changed` is not built, or undefined when it is. A file counts when it
 * matches `paths` (every file when absent) and not `paths-ignore`; one such file builds.
 * `changed` undefined (unknown: a new branch, a force push, a pull request) always builds.
 */
export function pathFilter(when: When | undefined, changed: readonly string[] | undefined): string | undefined {
  const include = when?.paths;
  const ignore = when?.['paths-ignore'];
  if (!changed || (!include && !ignore)) return undefined;
  const included = include ? matcher(include) : () => true;
  const ignored = ignore ? matcher(ignore) : () => false;
  if (changed.some((file) => included(file) && !ignored(file))) return undefined;
  if (changed.length === 0) return 'the push changed no files';
  const sample = changed.slice(0, 3).join(', ') + (changed.length > 3 ? `, … (${changed.length} files)` : '');
  return `no changed file matches the path filters (${[include && `paths: ${include.join(', ')}`, ignore && `paths-ignore: ${ignore.join(', ')}`].filter(Boolean).join('; ')}): ${sample}`;
}
