import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformSlug, type Platform } from '@archway/contract';
import type { BuildahAuth } from './registry-auth.ts';
import type { RemoteCache } from './remote-cache.ts';
import { runProcess, type ProcessResult, type RunOptions } from './spawn.ts';

/**
 * buildah invocations. Storage is local, overlay, and separate per platform: buildah 1.28 mixes
 * platforms in its layer cache when they share a store.
 */
export interface BuildahSettings {
  buildah: string;
  dataDir: string;
  platform: Platform;
  isolation: string;
  /** The running buildah's process group id is kept here, so a restarted agent can kill an orphan. */
  pidFile?: string;
  /** TMPDIR for buildah (layer diffs during export): the task's own, removed with its work dir. */
  tmpDir?: string;
  /** registries.conf for pulls (mirrors, pull-through proxies); default: the system's. */
  registriesConf?: string;
  /** `newer` (default), `missing` or `always`. */
  pull?: 'newer' | 'missing' | 'always';
  /** The build's own auth file (pull-only + cache credentials) and an empty DOCKER_CONFIG. */
  auth?: BuildahAuth;
}

export function storageDirs(s: Pick<BuildahSettings, 'dataDir' | 'platform'>) {
  const slug = platformSlug(s.platform);
  return { root: join(s.dataDir, 'storage', slug), runroot: join(s.dataDir, 'run', slug), tmp: join(s.dataDir, 'tmp') };
}

export function storageArgs(s: BuildahSettings): string[] {
  const d = storageDirs(s);
  return ['--root', d.root, '--runroot', d.runroot, '--storage-driver', 'overlay'];
}

export interface BuildSpec {
  containerfile: string;
  contextDir: string;
  buildArgs: Record<string, string>;
  /** `--target`: the stage to build up to (validated as a stage name in the job schema). */
  target?: string;
  /** buildah writes the built image id here; the image is pushed by id. */
  iidFile: string;
  /** `RUN --mount=type=secret,id=<id>` sources: files (0600) in the task's work dir. */
  secrets?: { id: string; path: string }[];
  /** The shared layer cache: pulled from when the local cache misses, pushed to when `write`. */
  cache?: RemoteCache;
}

const PULL_FLAG = { newer: 'true', missing: 'false', always: 'always' } as const;

/**
 * `buildah build` arguments. No `-t`: the image stays untagged so the final step's layer remains
 * in the cache (removing the only tag of an image deletes it, and with it the last step's cache);
 * it is exported by id. `--force-rm` removes the working container when a step fails.
 */
export function buildArgs(s: BuildahSettings, spec: BuildSpec): string[] {
  const args = [...storageArgs(s), 'build', '--platform', s.platform, '--layers', '--force-rm', '--isolation', s.isolation];
  args.push(`--pull=${PULL_FLAG[s.pull ?? 'newer']}`, '-f', spec.containerfile);
  if (spec.target) args.push('--target', spec.target);
  for (const [k, v] of Object.entries(spec.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const secret of spec.secrets ?? []) args.push('--secret', `id=${secret.id},src=${secret.path}`);
  if (s.auth) args.push('--authfile', s.auth.authFile);
  if (spec.cache) {
    // buildah looks in local storage first and asks the cache repository only on a miss.
    args.push('--cache-from', spec.cache.repo, '--cache-ttl', spec.cache.ttl);
    if (spec.cache.write) args.push('--cache-to', spec.cache.repo);
  }
  args.push('--iidfile', spec.iidFile, spec.contextDir);
  return args;
}

/** Environment for buildah: its temporary files (layer diffs during push) stay on the agent's disk. */
export function buildahEnv(s: BuildahSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: s.tmpDir ?? storageDirs(s).tmp, BUILDAH_ISOLATION: s.isolation, LC_ALL: 'C' };
  if (s.registriesConf) env.CONTAINERS_REGISTRIES_CONF = s.registriesConf;
  if (s.auth) {
    env.REGISTRY_AUTH_FILE = s.auth.authFile;
    env.DOCKER_CONFIG = s.auth.dockerConfigDir;
  }
  return env;
}

export function runBuildah(s: BuildahSettings, args: string[], opts: Omit<RunOptions, 'env'> = {}): Promise<ProcessResult> {
  const onSpawn = s.pidFile ? (pid: number) => writeFileSync(s.pidFile!, String(pid)) : undefined;
  return runProcess(s.buildah, args, { ...opts, env: buildahEnv(s), onSpawn });
}

/** Ids of the working containers in this platform's storage. */
export async function listContainers(s: BuildahSettings): Promise<string[]> {
  const ids: string[] = [];
  const r = await runBuildah(s, [...storageArgs(s), 'containers', '--quiet'], { onLine: (l) => void (l.trim() && ids.push(l.trim())) });
  if (r.code !== 0) throw new Error(`buildah containers failed with exit code ${r.code}`);
  return ids;
}

/** Removes every working container in this platform's storage (left behind by a killed build). */
export async function removeAllContainers(s: BuildahSettings): Promise<void> {
  const out: string[] = [];
  const r = await runBuildah(s, [...storageArgs(s), 'rm', '--all'], { onLine: (l) => void out.push(l) });
  if (r.code !== 0) throw new Error(`buildah rm --all failed with exit code ${r.code}: ${out.slice(-3).join(' ')}`);
}
