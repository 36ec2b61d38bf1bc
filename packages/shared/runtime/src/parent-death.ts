import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Node cannot set a child's parent-death signal (prctl PR_SET_PDEATHSIG), so a process that is
 * SIGKILLed leaves its children running: an agent's buildah, the launcher's API or Redis.
 * util-linux's `setpriv --pdeathsig <signal> <program> …` sets it and execs the program (same pid,
 * same process group), so the kernel signals the program when the spawning thread — Node's main
 * thread, where child_process spawns — dies. Without setpriv on PATH the program runs as before.
 */
export function withParentDeathSignal(
  cmd: string,
  args: string[],
  signal: NodeJS.Signals,
  env: NodeJS.ProcessEnv = process.env,
): { cmd: string; args: string[]; guarded: boolean } {
  const setpriv = findOnPath('setpriv', env);
  if (!setpriv) return { cmd, args, guarded: false };
  return { cmd: setpriv, args: ['--pdeathsig', signal, '--', cmd, ...args], guarded: true };
}

/** The executable `cmd` resolves to on `env.PATH` (or itself when it names a path), if any. */
export function findOnPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = cmd.includes('/')
    ? [cmd]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, cmd));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
