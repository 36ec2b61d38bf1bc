import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CredentialHelperError, lookupCredentials } from '@archway/runtime';
import { loadAuthFile } from './auth-file.ts';
import { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { hostListed } from './host.ts';
import type { RegistryObserver } from '../metrics/merger-metrics.ts';

export interface RegistryConfig {
  /** docker-config auth file (see locateAuthFile); null: anonymous only. */
  authFile: string | null;
  /** host[:port] entries spoken to over plain HTTP. */
  insecureRegistries: string[];
  /** PEM file of an extra CA for registries with a private certificate. */
  caFile?: string;
  retries?: number;
  retryBaseMs?: number;
  /** Time limit of a credential helper (`docker-credential-<name> get`); default 10 s. */
  credentialHelperTimeoutMs?: number;
  /** The merger's metrics of registry traffic. */
  observer?: RegistryObserver;
}

/**
 * One client per registry and credentials, kept across jobs (tokens and known blob locations
 * survive). The auth file is read again (and credential helpers asked again) for every job, so
 * rotated credentials (a re-mounted Kubernetes secret) take effect without a restart.
 */
export class RegistryPool {
  private readonly clients = new Map<string, { fingerprint: string; client: RegistryClient }>();

  constructor(readonly config: RegistryConfig) {}

  /** The client for pushing to `registry/repository`: the auth file's entry for that path decides the credentials. */
  async client(registry: string, repository = ''): Promise<RegistryClient> {
    const config = await loadAuthFile(this.config.authFile);
    let found;
    try {
      found = await lookupCredentials(config, registry, repository, { timeoutMs: this.config.credentialHelperTimeoutMs });
    } catch (err) {
      // A helper that is missing, hangs or prints garbage: a retry would meet the same helper.
      if (err instanceof CredentialHelperError) throw new RegistryError(err.message, { retryable: false });
      throw err;
    }
    const creds = found.credentials;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(creds ?? null))
      .digest('hex');
    // Two repositories of one registry may use different entries (path prefixes): one client each.
    const key = `${registry} ${found.source}`;
    const existing = this.clients.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing.client;
    if (existing) existing.client.close().catch(() => {});
    const ca = this.config.caFile ? await readFile(this.config.caFile, 'utf8') : undefined;
    const client = new RegistryClient({
      registry,
      credentials: creds,
      authFile: this.config.authFile,
      insecure: hostListed(this.config.insecureRegistries, registry),
      ca,
      retries: this.config.retries,
      retryBaseMs: this.config.retryBaseMs,
      ...(this.config.observer ? { observer: this.config.observer } : {}),
    });
    this.clients.set(key, { fingerprint, client });
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.client.close()));
    this.clients.clear();
  }
}
