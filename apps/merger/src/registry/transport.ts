import { setTimeout as delay } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { Credentials } from './auth-file.ts';
import { Authenticator } from './auth.ts';
import { describeBody, describeNetworkError, isRetryableStatus, RegistryError } from './errors.ts';
import { apiHost } from './host.ts';
import type { RegistryObserver } from '../metrics/merger-metrics.ts';

export interface TransportOptions {
  /** Registry name as in the image reference: `127.0.0.1:5000`, `ghcr.io`, `docker.io`. */
  registry: string;
  credentials?: Credentials;
  /** Path of the auth file the credentials came from; only named in error messages. */
  authFile?: string | null;
  /** Plain HTTP: only for registries listed in ARCHWAY_INSECURE_REGISTRIES. */
  insecure?: boolean;
  /** PEM of an extra CA trusted on top of the system roots. */
  ca?: string;
  /** Further attempts after the first, for requests that can be replayed. Default 4. */
  retries?: number;
  /** First backoff delay; doubles per attempt, capped at 10 s. Default 250 ms. */
  retryBaseMs?: number;
  /** Counts requests, retries, blobs and manifests (the merger's metrics). */
  observer?: RegistryObserver;
}

/** A response whose body must be consumed: read it, or dump() it. */
export interface RegistryResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  buffer(): Promise<Buffer>;
  dump(): Promise<void>;
}

function wrap(r: Dispatcher.ResponseData): RegistryResponse {
  return {
    status: r.statusCode,
    headers: {
      get: (name) => {
        const v = r.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    text: () => r.body.text(),
    buffer: async () => Buffer.from(await r.body.arrayBuffer()),
    dump: () => r.body.dump(),
  };
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /** Path under the registry (`/v2/...`) or an absolute URL (an upload Location). */
  url: string;
  headers?: Record<string, string>;
  /** A Buffer can be replayed; a stream is sent once (the caller retries by re-reading its source). */
  body?: Buffer | Readable;
  /** Token scopes the request needs. */
  scopes: string[];
  repository: string;
  /** What we were doing, for error messages: `HEAD blob sha256:… in me/app`. */
  what: string;
}

/** HTTP to one registry: TLS/CA, auth challenges, and retries with backoff where safe. */
export class Transport {
  readonly registry: string;
  readonly baseUrl: string;
  private readonly agent: Agent;
  private readonly dispatcher: Dispatcher;
  private readonly auth: Authenticator;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly observer: RegistryObserver | undefined;

  constructor(opts: TransportOptions) {
    this.observer = opts.observer;
    this.registry = opts.registry;
    this.baseUrl = `${opts.insecure ? 'http' : 'https'}://${apiHost(opts.registry)}`;
    // A custom CA adds to the system roots instead of replacing them (token realms are often elsewhere).
    this.agent = new Agent(opts.ca ? { connect: { ca: [...rootCertificates, opts.ca] } } : {});
    // Blob storage behind a registry may redirect (S3); undici drops credentials across origins.
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
    this.auth = new Authenticator(opts.registry, opts.credentials, this.agent, opts.authFile ?? null, opts.insecure ?? false);
    this.retries = opts.retries ?? 4;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
  }

  /**
   * Sends a request and returns the response of whatever status (the caller decides what it
   * expected), except: 401/403 after authenticating → refused; 5xx/429/network errors are retried
   * when the body is replayable, then thrown as retryable RegistryErrors.
   */
  async send(spec: RequestSpec): Promise<RegistryResponse> {
    const replayable = !(spec.body && !Buffer.isBuffer(spec.body));
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      const canRetry = replayable && attempt < this.retries;
      const authorization = await this.auth.header(spec.scopes, spec.repository);
      const headers: Record<string, string> = { 'user-agent': 'archway-merger', ...spec.headers };
      if (authorization) headers.authorization = authorization;
      let res: RegistryResponse;
      try {
        // undici's request(), not fetch(): fetch buffers a streamed request body whole when the
        // server reads slower than we read the archive; request() keeps backpressure.
        const r = await request(new URL(spec.url, this.baseUrl), {
          method: spec.method,
          headers,
          body: spec.body,
          dispatcher: this.dispatcher,
        });
        res = wrap(r);
        this.observer?.response(spec.method, res.status);
      } catch (err) {
        this.observer?.response(spec.method, 0);
        const stream = spec.body && !Buffer.isBuffer(spec.body) ? spec.body : undefined;
        // The body stream failed (e.g. its digest check): that error is the one that matters.
        if (stream?.errored) throw stream.errored;
        if (isCertificateError(err)) {
          throw new RegistryError(
            `registry ${this.registry} presented a certificate we do not trust (${describeNetworkError(err)}); set ARCHWAY_REGISTRY_CA_FILE to its CA, or list it in ARCHWAY_INSECURE_REGISTRIES if it speaks plain HTTP`,
            { retryable: false, cause: err },
          );
        }
        if (isPlainHttpAnswer(err)) {
          throw new RegistryError(
            `registry ${this.registry} answered our TLS handshake in plain HTTP; if it is meant to serve plain HTTP, list it in ARCHWAY_INSECURE_REGISTRIES`,
            { retryable: false, cause: err },
          );
        }
        if (canRetry) {
          await this.backoff(attempt);
          continue;
        }
        throw new RegistryError(`registry ${this.registry} unreachable (${spec.what}): ${describeNetworkError(err)}`, {
          retryable: true,
          cause: err,
        });
      }
      if (res.status === 401 && !authRetried && replayable) {
        authRetried = true;
        const retry = this.auth.onUnauthorized(res.headers.get('www-authenticate'), spec.scopes, authorization !== undefined);
        if (retry) {
          await res.dump();
          continue;
        }
        throw this.auth.refused(spec.repository, 401, await describeBody(res));
      }
      if (res.status === 401 && !replayable) {
        // A streamed body cannot be re-sent; the token likely expired mid-upload. Re-reading the
        // source (the caller's retry) fetches a fresh one.
        await res.dump();
        this.auth.onUnauthorized(res.headers.get('www-authenticate'), spec.scopes, true);
        throw new RegistryError(`registry ${this.registry} asked to authenticate again during ${spec.what}`, { status: 401, retryable: true });
      }
      if (res.status === 401 || res.status === 403) {
        throw this.auth.refused(spec.repository, res.status, await describeBody(res));
      }
      if (isRetryableStatus(res.status)) {
        if (canRetry) {
          await res.dump();
          await this.backoff(attempt);
          continue;
        }
        const detail = await describeBody(res);
        throw new RegistryError(`registry ${this.registry} failed (${spec.what}): ${res.status} ${detail}`, {
          status: res.status,
          retryable: true,
        });
      }
      return res;
    }
  }

  /** Learns the registry's challenge up front, so that streamed uploads never meet a 401. */
  async ping(repository: string, scopes: string[]): Promise<void> {
    const res = await this.send({ method: 'GET', url: '/v2/', scopes, repository, what: 'GET /v2/' });
    await res.dump();
    if (res.status === 400 && this.baseUrl.startsWith('http:')) {
      // Go's TLS servers answer a plain-HTTP request with "400 Client sent an HTTP request to an HTTPS server".
      throw new RegistryError(
        `registry ${this.registry} refused plain HTTP (GET /v2/ answered 400): it is listed in ARCHWAY_INSECURE_REGISTRIES but probably speaks HTTPS`,
        { status: 400, retryable: false },
      );
    }
    if (res.status !== 200)
      throw new RegistryError(`registry ${this.registry} is not an OCI registry: GET /v2/ answered ${res.status}`, { status: res.status, retryable: false });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async backoff(attempt: number): Promise<void> {
    this.observer?.retry();
    const ms = Math.min(this.retryBaseMs * 2 ** attempt, 10_000);
    await delay(ms / 2 + Math.random() * (ms / 2));
  }
}

const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** OpenSSL's answer when the server's first bytes are not a TLS record: it speaks plain HTTP. */
function isPlainHttpAnswer(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return [e.code, e.cause?.code].some((code) => code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG');
}

/** A certificate problem does not go away by retrying: fail at once with a hint. */
function isCertificateError(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return [e.code, e.cause?.code].some((code) => code !== undefined && CERT_ERRORS.has(code));
}
