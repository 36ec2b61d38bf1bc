import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { agentConfig } from '../test/support.ts';
import { cleanLeftovers } from './leftovers.ts';
import { silentLogger } from './log.ts';
import { listContainers, runBuildah, storageArgs } from './task/buildah.ts';
import { processRunning as running, waitFor } from '../test/support.ts';

describe('cleanLeftovers', () => {
  it('kills an orphaned build, removes work dirs and working containers, and spares unrelated pids', async () => {
    const config = await agentConfig('unused', 'linux/amd64', await mkdtemp(join(inject('tmpRoot'), 'store-')));
    const settings = { buildah: 'buildah', dataDir: config.dataDir, platform: config.platform, isolation: 'chroot' };

    // An "orphaned buildah": its own process group, its command line naming the data dir.
    const orphan = spawn('sh', ['-c', 'sleep 60 & wait', join(config.dataDir, 'storage')], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const orphanExit = new Promise((resolve) => orphan.once('exit', resolve));
    await mkdir(join(config.dataDir, 'work', 'task1-a1'), { recursive: true });
    await writeFile(join(config.dataDir, 'work', 'task1-a1', 'buildah.pid'), String(orphan.pid));
    // A pid file naming a process that is not ours (pid reuse) must not get it killed.
    await mkdir(join(config.dataDir, 'work', 'task2-a1'), { recursive: true });
    await writeFile(join(config.dataDir, 'work', 'task2-a1', 'buildah.pid'), String(process.pid));
    // A working container left in the storage.
    expect((await runBuildah(settings, [...storageArgs(settings), 'from', 'scratch'])).code).toBe(0);
    expect(await listContainers(settings)).toHaveLength(1);

    await cleanLeftovers(config, settings, silentLogger);

    await orphanExit;
    await waitFor('the orphan to be gone', async () => !running(orphan.pid!), 5000);
    expect(running(process.pid)).toBe(true);
    expect(existsSync(join(config.dataDir, 'work'))).toBe(false);
    expect(await listContainers(settings)).toEqual([]);
  });
});
