import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `skopeo inspect --raw` of a reference, parsed; extra args for auth/TLS. */
export async function skopeoRaw(ref: string, extra: string[] = ['--tls-verify=false']): Promise<any> {
  const { stdout } = await run('skopeo', ['inspect', '--raw', ...extra, `docker://${ref}`], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** `skopeo inspect --config --raw`: the image config of a single-platform manifest. */
export async function skopeoConfig(ref: string, extra: string[] = ['--tls-verify=false']): Promise<any> {
  const { stdout } = await run('skopeo', ['inspect', '--config', '--raw', ...extra, `docker://${ref}`], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** Whether a tag exists, asked with skopeo (independent of our client). */
export async function skopeoTagExists(ref: string, extra: string[] = ['--tls-verify=false']): Promise<boolean> {
  try {
    await run('skopeo', ['inspect', '--raw', ...extra, `docker://${ref}`]);
    return true;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr);
    if (/manifest unknown|not found|MANIFEST_UNKNOWN/i.test(stderr)) return false;
    throw err;
  }
}

/** The digest skopeo computes for what a reference points at. */
export async function skopeoDigest(ref: string, extra: string[] = ['--tls-verify=false']): Promise<string> {
  const { stdout } = await run('skopeo', ['inspect', ...extra, '--format', '{{.Digest}}', `docker://${ref}`]);
  return stdout.trim();
}
