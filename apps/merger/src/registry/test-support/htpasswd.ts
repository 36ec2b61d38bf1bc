import { writeFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';

/** Writes an htpasswd file with one bcrypt entry, as `htpasswd -nbB user password` would. */
export async function writeHtpasswd(path: string, user: string, password: string): Promise<void> {
  await writeFile(path, `${user}:${bcrypt.hashSync(password, 8)}\n`);
}

/** The registry config fragment enabling htpasswd auth. */
export function htpasswdConfig(path: string): string {
  return `auth:\n  htpasswd:\n    realm: archway-test\n    path: ${path}\n`;
}

/** A docker-config auth file with `auth` (base64 user:password) for one registry. */
export async function writeAuthFile(path: string, registry: string, user: string, password: string): Promise<void> {
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  await writeFile(path, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
}
