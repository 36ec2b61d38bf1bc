/**
 * The one configuration error of every process: `invalid <process> configuration:` and one
 * `  - VAR: problem` line per problem, all problems at once. A process that cannot start because of
 * it exits 2 (exitOnConfigError): a restart cannot fix a bad variable, so supervisors (the embedded
 * launcher, Kubernetes' logs) show it once instead of a restart loop.
 */
export interface ConfigProblem {
  /** The variable to fix (`ARCHWAY_ADMIN_TOKEN_FILE` when the value came from that file). */
  variable: string;
  problem: string;
}

export const CONFIG_EXIT_CODE = 2;

export class ConfigError extends Error {
  constructor(
    /** `API`, `agent`, `merger`, `launcher`… as the message names it. */
    readonly process: string,
    readonly problems: ConfigProblem[],
    /** The table of variables to point at (`apps/api/ENV.md`). */
    readonly docs?: string,
  ) {
    super(`invalid ${process} configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The problems of a failed step that reads one variable (an object store URL, a key file): a
 * ConfigError's own, or the error's message under `variable`.
 */
export function configProblems(err: unknown, variable: string): ConfigProblem[] {
  if (err instanceof ConfigError) return err.problems;
  return [{ variable, problem: err instanceof Error ? err.message : String(err) }];
}

/** Throws one ConfigError for `process` when any problems were collected. */
export function throwIfProblems(process: string, problems: ConfigProblem[], docs?: string): void {
  if (problems.length > 0) throw new ConfigError(process, problems, docs);
}

/**
 * Prints a ConfigError (no stack trace: it is the operator's to fix) and exits 2; anything else is
 * left to the caller. Use as `catch (err) { exitOnConfigError(err); throw err; }`.
 */
export function exitOnConfigError(err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): void {
  if (!(err instanceof ConfigError)) return;
  write(`${err.message}\n${err.docs ? `See ${err.docs}.\n` : ''}`);
  process.exit(CONFIG_EXIT_CODE);
}
