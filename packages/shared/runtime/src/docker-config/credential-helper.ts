import { spawn } from 'node:child_process';
import type { Credentials } from './parse.ts';

export interface HelperOptions {
  /** How long a helper may take (default 10 s): one that hangs fails the publish instead of holding it. */
  timeoutMs?: number;
  /** PATH the helper is looked up in (default: the process's). */
  path?: string;
}

/** A credential helper that could not answer; the message names helper and registry, never its output. */
export class CredentialHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A helper's answer is a small JSON object; anything longer is garbage. */
const MAX_OUTPUT = 64 * 1024;

/** The server URL docker hands helpers: Docker Hub's historic one, else the registry host. */
function serverUrl(registry: string): string {
  return registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
}

/**
 * Runs `docker-credential-<helper> get` (no shell) with the registry on stdin, as docker and podman
 * do, and reads `{"Username","Secret"}` from stdout; Username `<token>` means Secret is an identity
 * token. "credentials not found" means none (anonymous). Output is never quoted in errors or logs.
 */
export function getFromHelper(helper: string, registry: string, opts: HelperOptions = {}): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const what = `credential helper ${program} for registry ${registry}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(opts.path !== undefined ? { PATH: opts.path } : {}) };
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], shell: false, detached: true });
    const out: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | null, creds?: Credentials) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(creds);
    };
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish(new CredentialHelperError(`${what} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish(
        new CredentialHelperError(
          err.code === 'ENOENT' ? `${what}: ${program} is not installed (not on PATH)` : `${what} could not be started: ${err.code ?? 'error'}`,
        ),
      );
    });
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_OUTPUT) out.push(d);
    });
    child.stderr.resume(); // never read: it may echo what it was given
    child.stdin.on('error', () => {}); // a helper that exits without reading: its exit code says what happened
    child.stdin.end(serverUrl(registry));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        // docker's "credentials not found in native keychain": no credentials, like an absent auths entry.
        if (/credentials not found/i.test(text)) return finish(null, undefined);
        return finish(new CredentialHelperError(`${what} failed with exit code ${code}`));
      }
      try {
        finish(null, parseAnswer(text, what));
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

function parseAnswer(text: string, what: string): Credentials {
  let json: { Username?: unknown; Secret?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialHelperError(`${what} printed something that is not the credentials JSON ({"Username","Secret"})`);
  }
  if (!json || typeof json.Secret !== 'string' || !json.Secret || typeof json.Username !== 'string') {
    throw new CredentialHelperError(`${what} answered without a Username and Secret`);
  }
  return json.Username === '<token>' ? { identityToken: json.Secret } : { username: json.Username, password: json.Secret };
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}
