import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { capture } from '../src/task/spawn.ts';
import type { Job, Queue } from 'bullmq';
import type { BuildJob } from '@archway/contract';
import { startAgent } from '../src/agent.ts';
import { silentLogger } from '../src/log.ts';
import { agentConfig, BUSYBOX, buildJob, enqueue, LINUX_AMD64, makeRepo, waitForFinished } from './support.ts';

/**
 * Builds a small base image (FROM scratch + busybox-static: nothing from the internet) in a
 * throwaway storage and pushes it to `ref` (`--creds user:password` for a registry with auth).
 */
export async function pushBaseImage(ref: string, creds?: string): Promise<void> {
  const tmp = await mkdtemp(join(inject('tmpRoot'), 'base-image-'));
  const base = await makeRepo({ Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\n', busybox: { copy: BUSYBOX } });
  const storage = ['--root', join(tmp, 'storage'), '--runroot', join(tmp, 'run'), '--storage-driver', 'overlay'];
  const built = await capture('buildah', [...storage, 'build', '--isolation', 'chroot', '-t', ref, base.dir]);
  if (built.code !== 0) throw new Error(`base image build failed: ${built.lines.join('\n')}`);
  const pushed = await capture('buildah', [...storage, 'push', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), ref, `docker://${ref}`]);
  if (pushed.code !== 0) throw new Error(`base image push failed: ${pushed.lines.join('\n')}`);
}

/** A registries.conf marking plain-HTTP test registries insecure, optionally with a mirror for the first. */
export function registriesConf(hosts: string[], mirror?: { of: string; at: string }): string {
  const entries = hosts.map((h) => `[[registry]]\nlocation = "${h}"\ninsecure = true\n`);
  if (mirror)
    entries.push(
      `[[registry]]\nprefix = "${mirror.of}"\nlocation = "${mirror.of}"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.at}"\ninsecure = true\n`,
    );
  return entries.join('\n');
}

/** Starts an agent with an empty data dir, runs one job of `repo` (one attempt), stops the agent. */
export async function buildOnFreshAgent(o: {
  prefix: string;
  queue: Queue;
  storeDir: string;
  repo: { url: string; commit: string };
  env: Record<string, string>;
  job?: Partial<BuildJob>;
}): Promise<{ job: BuildJob; done: Job }> {
  const config = await agentConfig(o.prefix, LINUX_AMD64, o.storeDir, { ARCHWAY_AGENT_AFFINITY_WAIT: '0', ...o.env });
  const agent = await startAgent(config, { log: silentLogger });
  try {
    const job = buildJob(LINUX_AMD64, o.repo, o.job);
    await enqueue(o.queue, job, { attempts: 1 });
    return { job, done: await waitForFinished(o.queue, job.taskId) };
  } finally {
    await agent.close();
  }
}
