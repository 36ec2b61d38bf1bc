import { lstat, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { checkRepoPath } from '@archway/contract';
import { finalFailure } from './errors.ts';

export interface BuildPaths {
  /** Real (symlink-free) absolute paths inside the checkout. */
  contextDir: string;
  containerfile: string;
  /** The containerfile relative to the repository root, for messages. */
  containerfileRel: string;
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + sep);
}

async function resolveInside(root: string, rel: string, what: string): Promise<string | undefined> {
  const problem = checkRepoPath(rel);
  if (problem) throw finalFailure(`${what} "${rel}" ${problem}`);
  let real: string;
  try {
    real = await realpath(join(root, rel));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (await lstat(join(root, rel)).catch(() => undefined))?.isSymbolicLink()) {
      throw finalFailure(`${what} "${rel}" is a symlink to a missing file`);
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw finalFailure(`${what} "${rel}" is a symlink loop`);
    throw err;
  }
  if (!inside(root, real)) throw finalFailure(`${what} "${rel}" resolves outside the repository (symlink); refusing to use it`);
  return real;
}

/**
 * Resolves the build context and Containerfile inside the checkout, following symlinks and
 * refusing anything that leaves it. Without an explicit containerfile: `Containerfile`, then
 * `Dockerfile`, in the context directory, then at the repository root.
 */
export async function resolveBuildPaths(checkout: string, context: string, containerfile?: string): Promise<BuildPaths> {
  const root = await realpath(checkout);
  const contextDir = await resolveInside(root, context, 'context');
  if (!contextDir || !(await stat(contextDir)).isDirectory()) {
    throw finalFailure(`context "${context}" is not a directory in the repository`);
  }

  const candidates = containerfile
    ? [containerfile]
    : [...new Set([join(context, 'Containerfile'), join(context, 'Dockerfile'), 'Containerfile', 'Dockerfile'])];
  for (const rel of candidates) {
    const real = await resolveInside(root, rel, 'containerfile');
    if (!real) continue;
    if (!(await stat(real)).isFile()) throw finalFailure(`containerfile "${rel}" is not a file`);
    return { contextDir, containerfile: real, containerfileRel: relative(root, real) };
  }
  throw finalFailure(
    containerfile
      ? `containerfile "${containerfile}" not found in the repository`
      : `no Containerfile found: tried ${candidates.map((c) => `"${c}"`).join(', ')}`,
  );
}
