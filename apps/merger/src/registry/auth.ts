import { fetch, type Dispatcher } from 'undici';
import type { Credentials } from './auth-file.ts';
import { parseChallenge, type Challenge } from './challenge.ts';
import { describeBody, describeNetworkError, isRetryableStatus, RegistryError } from './errors.ts';

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Refresh tokens this long before the registry says they expire: uploads take time. */
const EXPIRY_MARGIN_MS = 10_000;

/**
 * Answers registry challenges (distribution's token auth spec): Basic sends the credentials,
 * Bearer trades them (or nothing, anonymously) for a token per scope at the realm.
 */
export class Authenticator {
  private challenge: Challenge | null = null;
  private tokens = new Map<string, CachedToken>();

  constructor(
    private readonly host: string,
    private readonly credentials: Credentials | undefined,
    private readonly dispatcher: Dispatcher,
    /** Named in errors so a person knows which file to fix. */
    private readonly authFile: string | null,
    /** The registry itself speaks plain HTTP (ARCHWAY_INSECURE_REGISTRIES): a plain-HTTP realm is no worse. */
    private readonly insecure = false,
  ) {}

  /** The Authorization header for a request needing `scopes`, if the registry asked for one. */
  async header(scopes: string[], repository: string): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (!this.credentials?.username) throw this.missingCredentials(repository, 'Basic');
      return basicHeader(this.credentials.username, this.credentials.password ?? '');
    }
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.value}`;
    const token = await this.fetchToken(ch, scopes, repository);
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  /**
   * Learns from a 401. Returns true when a retry can do better (first challenge, or a token
   * that may have expired); false when the credentials we sent were simply refused.
   */
  onUnauthorized(wwwAuthenticate: string | null, scopes: string[], sentAuth: boolean): boolean {
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch) return false;
    const changed = this.challenge?.scheme !== ch.scheme || this.challenge.params.realm !== ch.params.realm;
    this.challenge = ch;
    this.tokens.delete(scopes.join(' '));
    return changed || !sentAuth || ch.scheme === 'bearer';
  }

  /** Message for a 401/403 that survived authentication. */
  refused(repository: string, status: number, detail: string): RegistryError {
    const msg = this.credentials
      ? `registry ${this.host} refused credentials for ${repository}: ${status} ${detail}`
      : `registry ${this.host} requires credentials for ${repository} (${status} ${detail}); add them for ${this.host} to the auth file (${this.authFile ?? 'none found: set REGISTRY_AUTH_FILE'})`;
    return new RegistryError(msg, { status, retryable: false });
  }

  private missingCredentials(repository: string, scheme: string): RegistryError {
    return new RegistryError(
      `registry ${this.host} requires ${scheme} credentials for ${repository}; add them for ${this.host} to the auth file (${this.authFile ?? 'none found: set REGISTRY_AUTH_FILE'})`,
      { status: 401, retryable: false },
    );
  }

  private async fetchToken(ch: Challenge, scopes: string[], repository: string): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`registry ${this.host} sent a Bearer challenge without a realm`, { retryable: false });
    const url = new URL(realm);
    const creds = this.credentials;
    if (creds && url.protocol === 'http:' && !this.insecure) {
      // A registry reached over TLS must not get its credentials sent in clear text to wherever its challenge points.
      throw new RegistryError(
        `registry ${this.host} asks for credentials at a plain-HTTP token endpoint (${url.origin}); refusing to send them unencrypted (list ${this.host} in ARCHWAY_INSECURE_REGISTRIES only if all of it is meant to be plain HTTP)`,
        { retryable: false },
      );
    }
    let res;
    try {
      if (creds?.identityToken) {
        // OAuth2 refresh-token grant, as docker does with an identity token.
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'archway' });
        if (ch.params.service) form.set('service', ch.params.service);
        form.set('scope', scopes.join(' '));
        res = await fetch(url, { method: 'POST', body: form, dispatcher: this.dispatcher });
      } else {
        if (ch.params.service) url.searchParams.set('service', ch.params.service);
        for (const s of scopes) url.searchParams.append('scope', s);
        const headers: Record<string, string> = {};
        if (creds?.username) headers.authorization = basicHeader(creds.username, creds.password ?? '');
        res = await fetch(url, { headers, dispatcher: this.dispatcher });
      }
    } catch (err) {
      throw new RegistryError(`token endpoint ${url.origin} of registry ${this.host} unreachable: ${describeNetworkError(err)}`, {
        retryable: true,
        cause: err,
      });
    }
    if (res.status === 401 || res.status === 403) throw this.refused(repository, res.status, await describeBody(res));
    if (!res.ok) {
      throw new RegistryError(`token endpoint of registry ${this.host} answered ${res.status} ${await describeBody(res)}`, {
        status: res.status,
        retryable: isRetryableStatus(res.status),
      });
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryError(`token endpoint of registry ${this.host} returned no token`, { retryable: false });
    // The spec's default lifetime is 60 s when expires_in is absent.
    const lifetimeMs = Math.max((body.expires_in ?? 60) * 1000 - EXPIRY_MARGIN_MS, 1000);
    return { value, expiresAt: Date.now() + lifetimeMs };
  }
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
