import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfig } from './env.ts';
import type { Logger } from './log.ts';
import { removeAllContainers, storageDirs, type BuildahSettings } from './task/buildah.ts';

/** True while `pid` runs and its command line mentions `marker` (guards against pid reuse). */
async function runsWith(pid: number, marker: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return cmdline.split('\0').some((a) => a.includes(marker)) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * What a crashed or SIGKILLed agent leaves: buildah process groups still running (they lead their
 * own group, so they outlive the agent), work dirs, and working containers. The data dir belongs
 * to this agent alone, so everything found there is ours to clean before taking work.
 */
export async function cleanLeftovers(config: AgentConfig, settings: BuildahSettings, log: Logger): Promise<void> {
  const workRoot = join(config.dataDir, 'work');
  const dirs = await readdir(workRoot).catch(() => [] as string[]);
  for (const dir of dirs) {
    const pid = Number((await readFile(join(workRoot, dir, 'buildah.pid'), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 1 || !(await runsWith(pid, config.dataDir))) continue;
    log('leftover.kill', { pid, work: dir }, 'warn');
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    const deadline = Date.now() + 5000;
    while ((await runsWith(pid, config.dataDir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(workRoot, { recursive: true, force: true });
  if (existsSync(storageDirs(settings).root)) {
    await removeAllContainers(settings).catch((err: Error) => log('storage.cleanup-failed', { error: err.message }, 'warn'));
  }
}
