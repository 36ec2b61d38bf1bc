import { z } from 'zod';

/**
 * A path inside the repository checkout: relative, no `..` segments, no NUL.
 * Symlinks that escape are checked by the agent after checkout, where they can be resolved.
 */
export function checkRepoPath(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.includes('\0')) return 'must not contain NUL';
  if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value)) return 'must be relative to the repository root';
  if (value.split(/[\\/]+/).includes('..')) return 'must not leave the repository ("..")';
  if (value.length > 1024) return 'is too long';
  return undefined;
}

export const RepoPath = z.string().superRefine((value, ctx) => {
  const problem = checkRepoPath(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `"${value}" ${problem}` });
});

/**
 * A Containerfile stage name for `buildah build --target`: what a `FROM … AS <name>` may declare
 * (letters, digits, "_", "." and "-", starting with a letter), so it can never read as an option.
 */
export const StageName = z
  .string()
  .max(128, 'a stage name is at most 128 characters')
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a stage name starts with a letter and has letters, digits, "_", "." and "-"');

/** The name of one image of a build with several (`images[].name`): in task, key and phase names. */
export const ImageGroupName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'an image name is 1-40 lowercase letters, digits and "-", starting with a letter or digit');
