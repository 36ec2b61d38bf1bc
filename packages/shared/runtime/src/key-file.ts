import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, rm, writeFile } from 'node:fs/promises';

/** Writes a new key file (0600) atomically; never replaces an existing one. */
export async function writeKeyFile(dataDir: string, path: string, key: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, `${key}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    // link() is atomic and never replaces a key that exists (it may already seal stored secrets).
    await link(tmp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } catch (err) {
    throw new Error(`cannot write the secret key file ${path}: ${(err as Error).message}`);
  } finally {
    await rm(tmp, { force: true });
  }
}
