import { readFileSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';

/**
 * Finds and stops what a SIGKILLed launcher (or a power cut) left behind: a Redis or Postgres that
 * still runs on our data directory would share its files with the ones we are about to start.
 * Without setpriv (see @archway/runtime's withParentDeathSignal) they outlive the launcher.
 */

/** The pid in the first line of `pidFile`, if that process runs and `isOurs` says it is ours. */
export async function leftoverPid(pidFile: string, isOurs: (pid: number) => Promise<boolean>): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) return undefined;
  return (await isOurs(pid)) ? pid : undefined;
}

/** The process's command line (arguments joined by spaces) and working directory, if it runs. */
export async function describeProcess(pid: number): Promise<{ cmdline: string; cwd: string } | undefined> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    return { cmdline, cwd };
  } catch {
    return undefined;
  }
}

/** Sends `signal`, waits up to `graceMs` for the process to go, then SIGKILLs it and waits again. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Gone already.
    }
  };
  send(signal);
  if (await gone(pid, graceMs)) return;
  send('SIGKILL');
  if (!(await gone(pid, 10_000))) throw new Error(`process ${pid} (left by an earlier start) does not stop; stop it by hand`);
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Running and not a zombie (a zombie waits for its parent, or for init, to reap it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
