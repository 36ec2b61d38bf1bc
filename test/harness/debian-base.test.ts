import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { debianRootfsTarball, pushDebianBase } from './debian-base.ts';

const run = promisify(execFile);

describe('the Debian base image fixture (debootstrap, then the test registry)', () => {
  let work: string | undefined;
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds a dpkg database and os-release, and is pushed as a linux image', async () => {
    const tarball = await debianRootfsTarball();
    const { stdout: listing } = await run('tar', ['-tf', tarball], { maxBuffer: 256 * 1024 * 1024 });
    const entries = new Set(listing.split('\n'));
    expect(entries.has('./var/lib/dpkg/status')).toBe(true);
    expect(entries.has('./usr/lib/os-release')).toBe(true);

    work = await mkdtemp(join(inject('tmpRoot'), 'debian-base-'));
    const base = await pushDebianBase({ registryHost: inject('registryHost'), workDir: work });
    expect(base.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${base.ref}`]);
    const config = JSON.parse(stdout) as { os: string; architecture: string; config?: { Cmd?: string[] } };
    expect(config.os).toBe('linux');
    expect(config.config?.Cmd).toEqual(['/bin/bash']);
  });
});
