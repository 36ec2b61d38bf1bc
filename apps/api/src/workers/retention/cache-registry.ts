import { readFile } from 'node:fs/promises';
import { lookupCredentials, parseChallenge, parseDockerConfig, type Credentials } from '@archway/runtime';

/**
 * Just enough of the registry API for deleting expired cache tags: GET, HEAD and DELETE on one
 * registry, answering Basic and Bearer (token) challenges with the cache credentials
 * (ARCHWAY_CACHE_AUTH_FILE). The merger's client pushes; this one never does.
 */
export class CacheRegistry {
  private authorization: string | undefined;

  private constructor(
    private readonly base: string,
    private readonly host: string,
    private readonly credentials: Credentials | undefined,
  ) {}

  static async open(repoPrefix: string, opts: { authFile?: string; insecure: boolean }): Promise<CacheRegistry> {
    const [host = '', ...path] = repoPrefix.split('/');
    let credentials: Credentials | undefined;
    if (opts.authFile) {
      const config = parseDockerConfig(await readFile(opts.authFile, 'utf8'), opts.authFile);
      credentials = (await lookupCredentials(config, host, path.join('/'))).credentials;
    }
    return new CacheRegistry(`${opts.insecure ? 'http' : 'https'}://${host}`, host, credentials);
  }

  /** A request under /v2/, authenticated on the registry's first 401 (then reused). */
  async send(method: 'GET' | 'HEAD' | 'DELETE', path: string, repository: string, headers: Record<string, string> = {}): Promise<Response> {
    const go = () => fetch(`${this.base}${path}`, { method, headers: { ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) } });
    let res = await go();
    if (res.status === 401 && (await this.authenticate(res.headers.get('www-authenticate'), repository))) {
      await res.body?.cancel();
      res = await go();
    }
    return res;
  }

  private async authenticate(header: string | null, repository: string): Promise<boolean> {
    const ch = parseChallenge(header);
    const creds = this.credentials;
    const basic = creds?.username ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    if (!ch || (ch.scheme === 'basic' && !basic)) return false;
    if (ch.scheme === 'basic') {
      this.authorization = basic;
      return true;
    }
    const url = new URL(ch.params.realm ?? '');
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    url.searchParams.set('scope', `repository:${repository}:pull,delete`);
    const res = await fetch(url, { headers: basic ? { authorization: basic } : {} });
    if (!res.ok) throw new Error(`token endpoint of ${this.host} answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    this.authorization = `Bearer ${body.token ?? body.access_token}`;
    return true;
  }
}
