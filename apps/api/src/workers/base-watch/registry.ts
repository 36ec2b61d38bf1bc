import { createHash } from 'node:crypto';
import { apiHost, hostListed, parseChallenge } from '@archway/runtime';
import { rateLimitPauseMs, retryAfterMs } from './rate-limit.ts';
import type { BaseReference } from './reference.ts';

/** Every manifest type a tag may point at: HEAD answers the digest of whichever it is. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** A poll that did not answer; `retryAfterMs` when the registry asked for a pause (429, RateLimit). */
export class PollError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ManifestHead {
  digest: string;
  /** For an index (multi-platform tag): the digests of its manifests, which is what buildah records. */
  members: string[];
}

export interface PollerOptions {
  /** ARCHWAY_INSECURE_REGISTRIES: registries spoken to over plain HTTP. */
  insecureRegistries?: readonly string[];
  timeoutMs?: number;
  /** Told of every HTTP request (the bench counts them). */
  onRequest?: (method: string, url: string) => void;
  /** The clock of token expiry and rate-limit pauses (the bench runs an hour in simulated time). */
  now?: () => number;
}

interface Token {
  value: string;
  expiresAt: number;
}

/**
 * Reads the digest a tag points at with one `HEAD /v2/<repo>/manifests/<tag>`, anonymously (the
 * API holds no registry credentials): a Bearer challenge is answered with a pull token from its
 * realm, cached per registry and repository until it expires. A registry whose RateLimit headers
 * say the budget is spent is not asked again until the window passes.
 */
export class RegistryPoller {
  private readonly tokens = new Map<string, Token>();
  private readonly pausedUntil = new Map<string, number>();
  /** The last Bearer challenge of each host: an expired token is renewed before asking, saving a 401 round trip. */
  private readonly challenges = new Map<string, string>();

  private readonly now: () => number;

  constructor(private readonly opts: PollerOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  async head(ref: BaseReference, knownDigest?: string | null, knownMembers: readonly string[] = []): Promise<ManifestHead> {
    const res = await this.request('HEAD', ref, ref.tag);
    const digest = res.headers.get('docker-content-digest');
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!digest || !INDEX_TYPES.has(type)) return digest ? { digest, members: [] } : this.getManifest(ref, ref.tag);
    // An index that did not change keeps its members: only a new index costs a GET.
    if (digest === knownDigest) return { digest, members: [...knownMembers] };
    return this.getManifest(ref, digest);
  }

  /** GET of a manifest: its digest (the header, else the body's sha256) and, for an index, its members. */
  private async getManifest(ref: BaseReference, reference: string): Promise<ManifestHead> {
    const res = await this.request('GET', ref, reference);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
    let members: string[] = [];
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { manifests?: Array<{ digest?: unknown }> };
      members = (parsed.manifests ?? []).map((m) => m.digest).filter((d): d is string => typeof d === 'string');
    } catch {
      throw new PollError(`${ref.canonical}: the registry answered a manifest that is not JSON`);
    }
    return { digest, members };
  }

  private async request(method: 'HEAD' | 'GET', ref: BaseReference, reference: string): Promise<Response> {
    const host = apiHost(ref.registry);
    const paused = (this.pausedUntil.get(host) ?? 0) - this.now();
    if (paused > 0) throw new PollError(`${host}: rate limit reached; waiting ${Math.ceil(paused / 1000)} s as it asked`, paused);
    const scheme = hostListed(this.opts.insecureRegistries ?? [], ref.registry) ? 'http' : 'https';
    const url = `${scheme}://${host}/v2/${ref.repository}/manifests/${reference}`;
    const key = `${host}/${ref.repository}`;
    const known = this.challenges.get(host);
    const cached = this.tokens.get(key);
    if (known && (!cached || cached.expiresAt <= this.now())) this.tokens.set(key, await this.fetchToken(ref, known));
    let res = await this.send(method, url, this.tokens.get(key));
    if (res.status === 401) {
      await res.body?.cancel();
      const challenge = res.headers.get('www-authenticate');
      const token = await this.fetchToken(ref, challenge);
      this.challenges.set(host, challenge!);
      this.tokens.set(key, token);
      res = await this.send(method, url, token);
    }
    const pause = rateLimitPauseMs(res.headers);
    if (pause !== undefined) this.pausedUntil.set(host, this.now() + pause);
    if (res.ok) return res;
    await res.body?.cancel();
    if (res.status === 429 || res.status === 503) {
      throw new PollError(`${ref.canonical}: the registry answered ${res.status}`, retryAfterMs(res.headers) ?? pause);
    }
    if (res.status === 404) throw new PollError(`${ref.canonical}: the registry has no such manifest (404): the tag was removed`);
    if (res.status === 401 || res.status === 403) throw new PollError(`${ref.canonical}: the registry refused an anonymous pull (${res.status})`);
    throw new PollError(`${ref.canonical}: the registry answered ${res.status}`);
  }

  private async send(method: string, url: string, token: Token | undefined): Promise<Response> {
    this.opts.onRequest?.(method, url);
    const valid = token && token.expiresAt > this.now() ? token : undefined;
    try {
      return await fetch(url, {
        method,
        headers: { accept: MANIFEST_ACCEPT, 'user-agent': 'archway-base-watch', ...(valid ? { authorization: `Bearer ${valid.value}` } : {}) },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new PollError(`${method} ${url} failed: ${cause}`);
    }
  }

  /** distribution's token auth, anonymously: GET <realm>?service=…&scope=repository:<repo>:pull. */
  private async fetchToken(ref: BaseReference, header: string | null): Promise<Token> {
    const challenge = parseChallenge(header);
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new PollError(`${ref.canonical}: the registry wants ${challenge?.scheme ?? 'unknown'} credentials; Archway polls anonymously`);
    }
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', `repository:${ref.repository}:pull`);
    this.opts.onRequest?.('GET', url.toString());
    let res: Response;
    try {
      res = await fetch(url, { headers: { 'user-agent': 'archway-base-watch' }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
    } catch (err) {
      throw new PollError(`${ref.canonical}: token request to ${url.origin} failed: ${(err as Error).message}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new PollError(`${ref.canonical}: the token service answered ${res.status}`, res.status === 429 ? retryAfterMs(res.headers) : undefined);
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const value = body.token ?? body.access_token;
    if (!value) throw new PollError(`${ref.canonical}: the token service answered no token`);
    // The spec's default lifetime is 60 s; keep a margin so a poll never presents an expired one.
    return { value, expiresAt: this.now() + Math.max(0, (body.expires_in ?? 60) - 10) * 1000 };
  }
}
