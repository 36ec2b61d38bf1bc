import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.ts';

type Env = Record<string, string | undefined>;

/** One process's (or one feature's) variables: a zod object whose keys are the variable names. */
export interface ConfigSpec<S extends z.ZodObject = z.ZodObject> {
  /** As the error message names it: `invalid <process> configuration:`. */
  process: string;
  schema: S;
  /**
   * Variables that may instead be read from the file `<NAME>_FILE` names (a mounted Kubernetes
   * secret); never both. The file's trailing newlines are dropped, then the schema checks the text.
   */
  secrets?: readonly string[];
  /** Where the variables are documented (ENV.md), printed under the problems. */
  docs?: string;
}

export function defineConfig<S extends z.ZodObject>(spec: ConfigSpec<S>): ConfigSpec<S> {
  return spec;
}

/** Every variable a spec reads, `<NAME>_FILE` variants included: what its ENV.md must list. */
export function configVariables(spec: ConfigSpec): string[] {
  const keys = Object.keys(spec.schema.shape);
  return [...keys, ...(spec.secrets ?? []).map((s) => `${s}_FILE`)].sort();
}

/** Empty (or blank) means unset: compose files and Kubernetes manifests write `FOO: ""`. */
export function setting(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Reads the spec's variables from `env`; throws one ConfigError listing every problem as
 * `VAR: problem`. Variables outside the schema are ignored.
 */
export function loadConfig<S extends z.ZodObject>(spec: ConfigSpec<S>, env: Env = process.env): z.output<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(spec.schema.shape)) input[key] = setting(env, key);
  const problems: ConfigProblem[] = [];
  const fromFile = new Map<string, string>();
  for (const name of spec.secrets ?? []) {
    const file = setting(env, `${name}_FILE`);
    if (file === undefined) continue;
    if (input[name] !== undefined) {
      problems.push({ variable: name, problem: `set ${name} or ${name}_FILE, not both` });
      continue;
    }
    const text = readSecretFile(file);
    if (typeof text !== 'string') problems.push({ variable: `${name}_FILE`, problem: text.problem });
    else {
      input[name] = text;
      fromFile.set(name, file);
    }
  }
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const file = fromFile.get(key);
      if (file) problems.push({ variable: `${key}_FILE`, problem: `${issue.message} (in ${file})` });
      else problems.push({ variable: key || spec.process, problem: issue.message });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(spec.process, problems, spec.docs);
  return parsed.data;
}

function readSecretFile(file: string): string | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const value = text.replace(/[\r\n]+$/, '');
  return value.trim() === '' ? { problem: `${file} is empty` } : value;
}
