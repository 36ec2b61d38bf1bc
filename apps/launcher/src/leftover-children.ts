import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BUNDLE_DIR } from './bundle.ts';
import { stopProcess } from './leftover.ts';

/**
 * Stops the API, merger and agent an earlier start on this data directory left running. Without
 * setpriv nothing tells them their launcher died (SIGKILL, a crash): the old API would keep the
 * port and serve on while the new one restarts forever on EADDRINUSE. Ours are recognised in
 * /proc by what they run (a bundle of BUNDLE_DIR) and where (ARCHWAY_DATA_DIR in their
 * environment): another installation's processes on the same machine are left alone.
 */
export async function stopLeftoverChildren(dataDir: string, log: (line: string) => void): Promise<number[]> {
  const stopped: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const name = await leftoverChild(pid, dataDir);
    if (!name) continue;
    log(`${name}: stopping the ${name} (pid ${pid}) an earlier start left running`);
    await stopProcess(pid, 'SIGTERM', 30_000);
    stopped.push(pid);
  }
  return stopped;
}

/** The child's name (api, merger, agent) when `pid` runs one of our bundles for `dataDir`. */
async function leftoverChild(pid: number, dataDir: string): Promise<string | undefined> {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const bundle = args.find((a) => a.startsWith(BUNDLE_DIR) && a.endsWith('.mjs'));
  if (!bundle) return undefined;
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
  return environ.includes(`ARCHWAY_DATA_DIR=${dataDir}`) ? basename(bundle, '.mjs') : undefined;
}
