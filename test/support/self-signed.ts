import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A P-256 key and a self-signed certificate made with openssl in `dir` (`<name>.key`, `<name>.crt`),
 * valid two days; `ip` adds it as a subjectAltName (for a TLS server on that address).
 */
export async function selfSignedCert(dir: string, name: string, subject: string, ip?: string): Promise<{ keyPem: string; certPem: string; certFile: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const san = ip ? ['-addext', `subjectAltName=IP:${ip}`] : [];
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${subject}`, ...san],
  ]);
  return { keyPem: await readFile(key, 'utf8'), certPem: await readFile(cert, 'utf8'), certFile: cert };
}
