import { constants } from 'node:fs';
import { copyFile, link } from 'node:fs/promises';

/**
 * A hard link, or a copy (a reflink where the filesystem can) when linking is impossible: across
 * filesystems (EXDEV) or where links are refused (EPERM).
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }
}
