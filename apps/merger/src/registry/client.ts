import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { repositoryScope } from './challenge.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { describeBody, isTransientRejection, RegistryError } from './errors.ts';
import { Transport, type TransportOptions } from './transport.ts';

export interface RegistryStats {
  blobsUploaded: number;
  bytesUploaded: number;
  /** Blobs the registry already had (HEAD 200). */
  blobsExisting: number;
  /** Blobs mounted from another repository of the same registry instead of uploaded. */
  blobsMounted: number;
  manifestsPut: number;
}

/** A blob body: a stream sent once, or a function that opens the source again for each attempt. */
export type BlobSource = Readable | (() => Promise<Readable>);

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Remembered blob locations, so that a layer pushed to one repository is mounted into the next. */
const MAX_KNOWN_LOCATIONS = 20_000;
/** Tries of a manifest PUT the registry rejected transiently (see isTransientRejection). */
const MANIFEST_RETRIES = 4;

/** An OCI distribution client for one registry: blobs, mounts, manifests. */
export class RegistryClient {
  readonly stats: RegistryStats = { blobsUploaded: 0, bytesUploaded: 0, blobsExisting: 0, blobsMounted: 0, manifestsPut: 0 };
  private readonly http: Transport;
  private readonly locations = new Map<string, string>();
  private readonly retryBaseMs: number;
  private readonly observer: TransportOptions['observer'];

  constructor(opts: TransportOptions) {
    this.http = new Transport(opts);
    this.observer = opts.observer;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
  }

  get registry(): string {
    return this.http.registry;
  }

  /** Checks that the registry answers and learns how it authenticates, before any streaming. */
  async ping(repository: string): Promise<void> {
    await this.http.ping(repository, [repositoryScope(repository, 'pull,push')]);
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const res = await this.http.send({
      method: 'HEAD',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, 'pull,push')],
      repository,
      what: `HEAD blob ${digest} in ${repository}`,
    });
    await res.dump();
    if (res.status === 200) {
      this.stats.blobsExisting++;
      this.observer?.blob('existing', 0);
      this.remember(digest, repository);
      return true;
    }
    if (res.status === 404) return false;
    throw new RegistryError(`registry ${this.registry} answered ${res.status} to HEAD blob ${digest} in ${repository}`, {
      status: res.status,
      retryable: false,
    });
  }

  /**
   * Uploads a blob the registry lacks: mounted from another repository when we pushed it there
   * before, else POST + monolithic PUT `?digest=` with the body streamed. A re-openable source is
   * retried on retryable errors; a one-shot stream is not (the caller re-reads its source).
   */
  async uploadBlob(repository: string, blob: { digest: string; size: number; source: BlobSource }): Promise<'uploaded' | 'mounted'> {
    const from = this.locations.get(blob.digest);
    if (from && from !== repository && (await this.mountBlob(repository, blob.digest, from))) {
      if (typeof blob.source !== 'function') blob.source.resume();
      return 'mounted';
    }
    if (typeof blob.source !== 'function') {
      await this.putBlob(repository, blob.digest, blob.size, blob.source);
      return 'uploaded';
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.putBlob(repository, blob.digest, blob.size, await blob.source());
        return 'uploaded';
      } catch (err) {
        if (!(err instanceof RegistryError && err.retryable) || attempt >= 3) throw err;
      }
    }
  }

  /** Cross-repository mount; false when the registry started a normal upload instead (202). */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from });
    let res;
    try {
      res = await this.http.send({
        method: 'POST',
        url: `/v2/${repository}/blobs/uploads/?${query}`,
        scopes: [repositoryScope(repository, 'pull,push'), repositoryScope(from, 'pull')],
        repository,
        what: `mount blob ${digest} from ${from} into ${repository}`,
      });
    } catch (err) {
      // No pull right on the source repository: a plain upload still works.
      if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) return false;
      throw err;
    }
    await res.dump();
    if (res.status === 201) {
      this.stats.blobsMounted++;
      this.observer?.blob('mounted', 0);
      this.remember(digest, repository);
      return true;
    }
    // 202 opened an upload session we leave unused; the registry expires it.
    return false;
  }

  private async putBlob(repository: string, digest: string, size: number, body: Readable): Promise<void> {
    const scopes = [repositoryScope(repository, 'pull,push')];
    const start = await this.http.send({
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/`,
      scopes,
      repository,
      what: `start upload of ${digest} to ${repository}`,
    });
    await start.dump();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) {
      body.destroy();
      throw new RegistryError(`registry ${this.registry} refused to start an upload to ${repository}: ${start.status}`, {
        status: start.status,
        retryable: false,
      });
    }
    const url = new URL(location, this.http.baseUrl);
    url.searchParams.set('digest', digest);
    const res = await this.http.send({
      method: 'PUT',
      url: url.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      scopes,
      repository,
      what: `upload of blob ${digest} to ${repository}`,
    });
    if (res.status !== 201) {
      const detail = await describeBody(res);
      // A transient rejection is retried by uploadBlob, which opens the source again.
      throw new RegistryError(`registry ${this.registry} rejected blob ${digest} for ${repository}: ${res.status} ${detail}`, {
        status: res.status,
        retryable: isTransientRejection(res.status, detail),
      });
    }
    await res.dump();
    this.stats.blobsUploaded++;
    this.stats.bytesUploaded += size;
    this.observer?.blob('uploaded', size);
    this.remember(digest, repository);
  }

  /** PUTs a manifest or index under a digest or a tag; returns its digest. */
  async putManifest(repository: string, reference: string, mediaType: string, body: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    for (let attempt = 0; ; attempt++) {
      const res = await this.http.send({
        method: 'PUT',
        url: `/v2/${repository}/manifests/${reference}`,
        headers: { 'content-type': mediaType },
        body,
        scopes: [repositoryScope(repository, 'pull,push')],
        repository,
        what: `PUT manifest ${reference} to ${repository}`,
      });
      if (res.status !== 201 && res.status !== 200) {
        const detail = await describeBody(res);
        const transient = isTransientRejection(res.status, detail);
        if (transient && attempt < MANIFEST_RETRIES) {
          await delay(this.retryBaseMs * 2 ** attempt);
          continue;
        }
        throw new RegistryError(`registry ${this.registry} rejected manifest ${reference} for ${repository}: ${res.status} ${detail}`, {
          status: res.status,
          retryable: transient,
        });
      }
      return this.acceptedManifest(res, reference, digest);
    }
  }

  private async acceptedManifest(res: Awaited<ReturnType<Transport['send']>>, reference: string, digest: string): Promise<string> {
    await res.dump();
    const returned = res.headers.get('docker-content-digest');
    if (returned && returned !== digest) {
      throw new RegistryError(`registry ${this.registry} stored manifest ${reference} as ${returned}, expected ${digest}`, { retryable: false });
    }
    this.stats.manifestsPut++;
    this.observer?.manifest(reference.startsWith('sha256:') ? 'digest' : 'tag');
    return digest;
  }

  /** Reads a manifest or index; null when the reference does not exist. */
  async getManifest(repository: string, reference: string): Promise<{ mediaType: string; digest: string; body: Buffer } | null> {
    const res = await this.http.send({
      method: 'GET',
      url: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [repositoryScope(repository, 'pull')],
      repository,
      what: `GET manifest ${reference} of ${repository}`,
    });
    if (res.status === 404) {
      await res.dump();
      return null;
    }
    if (res.status !== 200) {
      throw new RegistryError(`registry ${this.registry} answered ${res.status} to GET manifest ${reference} of ${repository}: ${await describeBody(res)}`, {
        status: res.status,
        retryable: false,
      });
    }
    const body = await res.buffer();
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    return { mediaType: res.headers.get('content-type') ?? '', digest, body };
  }

  /** Reads a small blob (an attestation, a signature payload) whole; for copying to another registry. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.http.send({
      method: 'GET',
      url: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, 'pull')],
      repository,
      what: `GET blob ${digest} of ${repository}`,
    });
    if (res.status !== 200) {
      throw new RegistryError(`registry ${this.registry} answered ${res.status} to GET blob ${digest} of ${repository}: ${await describeBody(res)}`, {
        status: res.status,
        retryable: false,
      });
    }
    const body = await res.buffer();
    if (`sha256:${createHash('sha256').update(body).digest('hex')}` !== digest) {
      throw new RegistryError(`registry ${this.registry} sent blob ${digest} of ${repository} with other content`, { retryable: false });
    }
    return body;
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private remember(digest: string, repository: string): void {
    this.locations.delete(digest);
    this.locations.set(digest, repository);
    if (this.locations.size > MAX_KNOWN_LOCATIONS) {
      const oldest = this.locations.keys().next().value;
      if (oldest !== undefined) this.locations.delete(oldest);
    }
  }
}
