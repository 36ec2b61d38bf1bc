import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  /** Bytes an unprivileged writer can still use (f_bavail): what buildah can fill before ENOSPC. */
  free: number;
  total: number;
}

/**
 * Free and total space of the filesystem holding `dir`, from statfs: the filesystem's own numbers,
 * never the agent's accounting (buildkit's self-reported usage is what let its users' disks fill).
 */
export async function diskSpace(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}
