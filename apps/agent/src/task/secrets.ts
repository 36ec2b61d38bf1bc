import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildJob } from '@archway/contract';
import { openBuildSecret } from '@archway/runtime';
import { finalFailure } from './errors.ts';

export interface OpenedSecret {
  id: string;
  value: string;
}

/**
 * Opens the job's sealed build secrets with the agent's key. A job with secrets on an agent
 * without the key (or with another key) fails for good: another attempt would fail the same way.
 */
export function openSecrets(job: BuildJob, key: Buffer | undefined): OpenedSecret[] {
  const sealed = job.secrets ?? [];
  if (sealed.length === 0) return [];
  if (!key) {
    throw finalFailure(`the build uses secrets (${sealed.map((s) => s.id).join(', ')}) but this agent has no ARCHWAY_AGENT_SECRET_KEY`);
  }
  return sealed.map((s) => {
    try {
      return { id: s.id, value: openBuildSecret(key, job.taskId, s.id, s.sealed) };
    } catch (err) {
      throw finalFailure((err as Error).message);
    }
  });
}

/** Writes each secret to `<dir>/<n>` (dir 0700, files 0600) for `buildah build --secret id=…,src=…`. */
export async function writeSecretFiles(dir: string, secrets: OpenedSecret[]): Promise<{ id: string; path: string }[]> {
  if (secrets.length === 0) return [];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return Promise.all(
    secrets.map(async (s, i) => {
      // Numbered names: a secret id never becomes a path component.
      const path = join(dir, String(i));
      await writeFile(path, s.value, { mode: 0o600, flag: 'wx' });
      return { id: s.id, path };
    }),
  );
}

export async function removeSecretFiles(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
