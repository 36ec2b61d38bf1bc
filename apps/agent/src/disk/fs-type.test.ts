import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnAgent } from '../../test/support.ts';
import { classifyFs, storageFs } from './fs-type.ts';

describe('classifyFs (statfs f_type magic numbers)', () => {
  it('refuses network, FUSE and stacked filesystems, explaining why and what to do', () => {
    const cases: [number, RegExp][] = [
      [0x6969, /on NFS; .*NFS is a network filesystem: overlayfs cannot use it as its upper layer/],
      [0x00c36400, /on CephFS; .*network filesystem/],
      [0xff534d42, /on CIFS\/SMB; /],
      [0xfe534d42, /on SMB2\/3; /],
      [0x65735546, /on FUSE \(e\.g\. GlusterFS, s3fs, virtiofs, sshfs\); .*FUSE filesystem: overlayfs cannot use it as its upper layer/],
      [0x794c7630, /on overlayfs; .*itself an overlay mount .*the kernel refuses overlay on overlay/],
      [0x01021997, /on 9p; /],
    ];
    for (const [magic, re] of cases) {
      const v = classifyFs(magic, '/data');
      expect(v.problem, `0x${magic.toString(16)}`).toMatch(re);
      expect(v.problem).toMatch(/^the agent's data dir \/data is on /);
      expect(v.problem).toContain('Put ARCHWAY_AGENT_DATA_DIR on a local disk');
      expect(v.problem).toContain('ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE=true');
    }
  });

  it('accepts local filesystems, and names unknown ones by their magic number', () => {
    expect(classifyFs(0xef53, '/d')).toEqual({ name: 'ext2/3/4' });
    expect(classifyFs(0x58465342, '/d')).toEqual({ name: 'XFS' });
    expect(classifyFs(0x01021994, '/d')).toEqual({ name: 'tmpfs' });
    expect(classifyFs(0x12345678, '/d')).toEqual({ name: '0x12345678' });
  });
});

describe('the agent on an overlay mount (real mount)', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts.reverse()) execFileSync('umount', [m]);
  });

  it('refuses to start: exit code 2 and the explanation, before touching Redis', async () => {
    const base = await mkdtemp(join(inject('tmpRoot'), 'overlay-'));
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(base, d));
    const merged = join(base, 'merged');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, merged]);
    mounts.push(merged);
    expect((await storageFs(merged)).name).toBe('overlayfs');

    const agent = spawnAgent({
      REDIS_URL: inject('redisUrl'),
      ARCHWAY_OBJECT_STORE: `file://${base}/objects`,
      ARCHWAY_AGENT_DATA_DIR: join(merged, 'agent'),
      ARCHWAY_AGENT_ID: 'overlay-test',
    });
    expect(await agent.exited).toBe(2);
    expect(agent.out.stderr).toContain(
      `invalid agent configuration:\n  - ARCHWAY_AGENT_DATA_DIR: the agent's data dir ${merged}/agent is on overlayfs; buildah's overlay storage cannot work there`,
    );
    expect(agent.out.stderr).toContain('Put ARCHWAY_AGENT_DATA_DIR on a local disk');
    expect(agent.out.stderr).toContain('See apps/agent/ENV.md.');
    expect(agent.out.stdout).not.toContain('agent.started');
  });
});
