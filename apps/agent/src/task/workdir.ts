import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface WorkDir {
  root: string;
  checkout: string;
  log: string;
  /** buildah build's raw stdout+stderr (unredacted, so it stays here and goes with the work dir). */
  buildOutput: string;
  archive: string;
  digest: string;
  iid: string;
  /** Process group of the buildah currently running for this task (see cleanLeftovers). */
  pidFile: string;
  /** buildah's TMPDIR for this task: its temporary files go with the work dir. */
  tmp: string;
  /** Build secret files (0700 dir, 0600 files), removed as soon as the build step is over. */
  secrets: string;
}

/** A fresh directory per task attempt under `<data>/work`; a leftover from a crash is replaced. */
export async function createWorkDir(dataDir: string, taskId: string, attempt: number): Promise<WorkDir> {
  const safeId = taskId.replace(/[^A-Za-z0-9_.-]/g, '_');
  const root = join(dataDir, 'work', `${safeId}-a${attempt}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  return {
    root,
    checkout: join(root, 'src'),
    log: join(root, 'task.log'),
    buildOutput: join(root, 'buildah.out'),
    archive: join(root, 'image.tar'),
    digest: join(root, 'digest'),
    iid: join(root, 'iid'),
    pidFile: join(root, 'buildah.pid'),
    tmp: join(root, 'tmp'),
    secrets: join(root, 'secrets'),
  };
}

export async function removeWorkDir(dir: WorkDir): Promise<void> {
  await rm(dir.root, { recursive: true, force: true, maxRetries: 3 });
}
