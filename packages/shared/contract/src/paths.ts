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
