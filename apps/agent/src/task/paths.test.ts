import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type {} from '../../../../test/global-setup.ts';
import { resolveBuildPaths } from './paths.ts';

async function tree(files: Record<string, string | { symlink: string }>) {
  const root = await mkdtemp(join(inject('tmpRoot'), 'paths-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    if (typeof c === 'string') writeFileSync(join(root, p), c);
    else symlinkSync(c.symlink, join(root, p));
  }
  return realpathSync(root);
}

describe('resolveBuildPaths', () => {
  it('prefers the context dir Containerfile, then Dockerfile, then the root', async () => {
    const root = await tree({ 'app/Dockerfile': 'x', Containerfile: 'y' });
    expect(await resolveBuildPaths(root, 'app')).toEqual({
      contextDir: join(root, 'app'),
      containerfile: join(root, 'app/Dockerfile'),
      containerfileRel: 'app/Dockerfile',
    });
    expect((await resolveBuildPaths(root, '.')).containerfileRel).toBe('Containerfile');
  });

  it('follows symlinks that stay inside the checkout', async () => {
    const root = await tree({ 'docker/prod.Containerfile': 'x', Containerfile: { symlink: 'docker/prod.Containerfile' } });
    expect((await resolveBuildPaths(root, '.')).containerfileRel).toBe('docker/prod.Containerfile');
  });

  it('refuses escapes: absolute or relative symlinks, "..", absolute paths', async () => {
    const base = await mkdtemp(join(inject('tmpRoot'), 'paths-'));
    const root = await tree({ Containerfile: 'x', ctx: { symlink: '/' } });
    symlinkSync(relative(root, '/etc/passwd'), join(root, 'a')); // ../../…/etc/passwd
    symlinkSync(join(base, 'gone'), join(root, 'dangling'));
    await expect(resolveBuildPaths(root, '.', 'dangling')).rejects.toThrow('containerfile "dangling" is a symlink to a missing file');
    await expect(resolveBuildPaths(root, '.', 'a')).rejects.toThrow('containerfile "a" resolves outside the repository (symlink); refusing to use it');
    await expect(resolveBuildPaths(root, 'ctx')).rejects.toThrow('context "ctx" resolves outside the repository');
    await expect(resolveBuildPaths(root, '.', '../x')).rejects.toThrow('must not leave the repository');
    await expect(resolveBuildPaths(root, '/etc')).rejects.toThrow('must be relative to the repository root');
  });

  it('says what is missing', async () => {
    const root = await tree({ README: 'x' });
    await expect(resolveBuildPaths(root, 'nope')).rejects.toThrow('context "nope" is not a directory in the repository');
    await expect(resolveBuildPaths(root, '.', 'build/Containerfile')).rejects.toThrow('containerfile "build/Containerfile" not found in the repository');
    await expect(resolveBuildPaths(root, 'README')).rejects.toThrow('context "README" is not a directory');
  });
});
