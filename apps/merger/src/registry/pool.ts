import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadAuthFile } from './auth-file.ts';
import { RegistryClient } from './client.ts';
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
  /** The merger's metrics of registry traffic. */
  observer?: RegistryObserver;
}

/**
 * One client per registry, kept across jobs (tokens and known blob locations survive). The auth
 * file is read again for every job, so rotated credentials (a re-mounted Kubernetes secret) take
 * effect without a restart.
 */
export class RegistryPool {
  private readonly clients = new Map<string, { fingerprint: string; client: RegistryClient }>();

  constructor(readonly config: RegistryConfig) {}

  async client(registry: string): Promise<RegistryClient> {
    const creds = (await loadAuthFile(this.config.authFile)).get(registry.toLowerCase());
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(creds ?? null))
      .digest('hex');
    const existing = this.clients.get(registry);
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
    this.clients.set(registry, { fingerprint, client });
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.client.close()));
    this.clients.clear();
  }
}
