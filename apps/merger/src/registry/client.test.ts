import type {} from '../../../../test/global-setup.ts';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../../test/harness/registry.ts';
import { freePort } from '@archway/runtime';
import { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { makeTestCerts } from './test-support/tls.ts';
import { startFlakyProxy, type FlakyProxy } from './test-support/flaky-proxy.ts';
import { startTokenServer, type TokenServer } from './test-support/token-server.ts';

const blob = (size = 8192) => {
  const data = randomBytes(size);
  return { data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size };
};
const manifestFor = (b: { digest: string; size: number }) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: b.digest, size: b.size },
      layers: [],
    }),
  );

/** Pushes one blob and a manifest naming it; returns the manifest digest. */
async function pushSmallImage(client: RegistryClient, repo: string): Promise<string> {
  const b = blob();
  await client.ping(repo);
  if (!(await client.blobExists(repo, b.digest))) await client.uploadBlob(repo, { ...b, source: Readable.from([b.data]) });
  return client.putManifest(repo, 'v1', 'application/vnd.oci.image.manifest.v1+json', manifestFor(b));
}

describe('RegistryClient with Bearer token auth', () => {
  let dir: string;
  let tokens: TokenServer;
  let registry: TestRegistry;
  const creds = { user: 'robot', password: 'p@ss:word', refreshToken: 'refresh-123' };

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'bearer-'));
    tokens = await startTokenServer(dir, creds);
    registry = await startRegistry({ dir: join(dir, 'registry'), extraConfig: tokens.registryConfig });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
  });

  const client = (credentials?: ConstructorParameters<typeof RegistryClient>[0]['credentials']) =>
    new RegistryClient({ registry: registry.host, insecure: true, credentials, authFile: '/etc/archway/auth.json' });

  it('trades username and password for a push token', async () => {
    const c = client({ username: creds.user, password: creds.password });
    const digest = await pushSmallImage(c, 'me/app');
    expect((await c.getManifest('me/app', 'v1'))?.digest).toBe(digest);
    expect(tokens.seen).toContain('GET robot repository:me/app:pull,push');
    await c.close();
  });

  it('trades an identity token through the OAuth2 refresh grant', async () => {
    const c = client({ identityToken: creds.refreshToken });
    await pushSmallImage(c, 'me/oauth');
    expect(tokens.seen).toContain('POST refresh repository:me/oauth:pull,push');
    await c.close();
  });

  it('explains that anonymous pushes need credentials', async () => {
    const c = client();
    const err = await pushSmallImage(c, 'me/anon').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(
      new RegExp(
        `^registry ${registry.host} requires credentials for me/anon \\(401 .*\\); add them for ${registry.host} to the auth file \\(/etc/archway/auth.json\\)$`,
      ),
    );
    await c.close();
  });

  it('reports refused credentials without repeating them', async () => {
    const c = client({ username: creds.user, password: 'nope' });
    const err = await pushSmallImage(c, 'me/app').catch((e) => e);
    expect(err.message).toBe(`registry ${registry.host} refused credentials for me/app: 401 UNAUTHORIZED invalid username or password`);
    expect(err.retryable).toBe(false);
    await c.close();
  });
});

describe('RegistryClient retries', () => {
  let proxy: FlakyProxy;
  beforeAll(async () => {
    proxy = await startFlakyProxy(inject('registryHost'));
  });
  afterAll(() => proxy?.close());

  const client = () => new RegistryClient({ registry: proxy.host, insecure: true, retries: 3, retryBaseMs: 5 });

  it('retries replayable requests after 5xx and succeeds', async () => {
    let failures = 0;
    proxy.failWith = (req) => (req.method !== 'PUT' && failures++ < 2 ? 503 : null);
    proxy.seen.length = 0;
    const c = client();
    const b = blob();
    expect(await c.blobExists('retry/app', b.digest)).toBe(false);
    expect(proxy.seen.filter((s) => s.startsWith('HEAD'))).toHaveLength(3);
    await c.close();
  });

  it('sends a one-shot stream once, and retries a re-openable source by reading it again', async () => {
    proxy.failWith = (req) => (req.method === 'PUT' && proxy.seen.filter((s) => s.startsWith('PUT')).length === 1 ? 503 : null);
    proxy.seen.length = 0;
    const c = client();
    const b = blob(64 * 1024);
    const err = await c.uploadBlob('retry/app', { ...b, source: Readable.from([b.data]) }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/failed \(upload of blob sha256:[0-9a-f]+ to retry\/app\): 503 injected failure/);
    expect(proxy.seen.filter((s) => s.startsWith('PUT'))).toHaveLength(1);

    proxy.seen.length = 0;
    let opened = 0;
    const source = async () => {
      opened++;
      return Readable.from([b.data]);
    };
    const outcome = await c.uploadBlob('retry/app', { ...b, source });
    expect(outcome).toBe('uploaded');
    expect(opened).toBe(2);
    expect(await c.blobExists('retry/app', b.digest)).toBe(true);
    await c.close();
  });

  // Seen under concurrent pushes of one repository: a blob upload racing another, a manifest PUT
  // before its blob is visible. Both pass on a later try; the proxy answers like distribution.
  it('retries the transient rejections of concurrent pushes (DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN)', async () => {
    const reject = (code: string) => ({ status: 400, body: JSON.stringify({ errors: [{ code, message: 'injected', detail: {} }] }) });
    let blobRejections = 0;
    let manifestRejections = 0;
    proxy.failWith = (req) => {
      if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/') && blobRejections++ < 1) return reject('DIGEST_INVALID');
      if (req.method === 'PUT' && req.url?.includes('/manifests/') && manifestRejections++ < 2) return reject('MANIFEST_BLOB_UNKNOWN');
      return null;
    };
    proxy.seen.length = 0;
    const c = client();
    const b = blob(4096);
    expect(await c.uploadBlob('race/app', { ...b, source: async () => Readable.from([b.data]) })).toBe('uploaded');
    const manifest = manifestFor(b);
    const digest = await c.putManifest('race/app', 'v1', 'application/vnd.oci.image.manifest.v1+json', manifest);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect({ blobRejections, manifestRejections }).toEqual({ blobRejections: 2, manifestRejections: 3 });
    expect(await c.getManifest('race/app', 'v1')).toMatchObject({ digest });
    proxy.failWith = () => null;
    await c.close();
  });

  it('does not retry a rejection that is not transient (MANIFEST_INVALID)', async () => {
    proxy.failWith = (req) => (req.method === 'PUT' ? { status: 400, body: JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'bad' }] }) } : null);
    proxy.seen.length = 0;
    const c = client();
    const err = await c.putManifest('race/app', 'v2', 'application/vnd.oci.image.manifest.v1+json', manifestFor(blob())).catch((e) => e);
    expect(err.message).toBe(`registry ${proxy.host} rejected manifest v2 for race/app: 400 MANIFEST_INVALID bad`);
    expect(err.retryable).toBe(false);
    expect(proxy.seen.filter((s) => s.startsWith('PUT'))).toHaveLength(1);
    proxy.failWith = () => null;
    await c.close();
  });

  it('gives up after its retries with a retryable error', async () => {
    proxy.failWith = () => 502;
    proxy.seen.length = 0;
    const c = client();
    const err = await c.putManifest('retry/app', 'v1', 'application/vnd.oci.image.manifest.v1+json', manifestFor(blob())).catch((e) => e);
    expect(err.message).toBe(`registry ${proxy.host} failed (PUT manifest v1 to retry/app): 502 injected failure`);
    expect(err.retryable).toBe(true);
    expect(proxy.seen).toHaveLength(4);
    proxy.failWith = () => null;
    await c.close();
  });

  it('reports an unreachable registry as retryable', async () => {
    const port = await freePort();
    const c = new RegistryClient({ registry: `127.0.0.1:${port}`, insecure: true, retries: 1, retryBaseMs: 5 });
    const err = await c.ping('x/y').catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^registry 127.0.0.1:${port} unreachable \\(GET /v2/\\): connect ECONNREFUSED 127.0.0.1:`));
    expect(err.retryable).toBe(true);
    await c.close();
  });
});

describe('RegistryClient against a registry of the other scheme', () => {
  let dir: string;
  let plain: TestRegistry;
  let tls: TestRegistry;

  beforeAll(async () => {
    dir = await mkdtemp(join(inject('tmpRoot'), 'scheme-'));
    const certs = await makeTestCerts(join(dir, 'certs'));
    [plain, tls] = await Promise.all([
      startRegistry({ dir: join(dir, 'plain') }),
      startRegistry({ dir: join(dir, 'tls'), tls: { cert: certs.cert, key: certs.key } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop()]);
  });

  it('never sends credentials to a plain-HTTP token endpoint of a registry reached over TLS', async () => {
    await mkdir(join(dir, 'tokens'));
    const tokens = await startTokenServer(join(dir, 'tokens'), { user: 'robot', password: 'p@ss', refreshToken: 'r' });
    const certs = await makeTestCerts(join(dir, 'certs-bearer'));
    const bearerTls = await startRegistry({ dir: join(dir, 'bearer-tls'), tls: { cert: certs.cert, key: certs.key }, extraConfig: tokens.registryConfig });
    try {
      const c = new RegistryClient({
        registry: bearerTls.host,
        ca: await readFile(certs.caCert, 'utf8'),
        credentials: { username: 'robot', password: 'p@ss' },
      });
      const err = await pushSmallImage(c, 'me/app').catch((e) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(
        `registry ${bearerTls.host} asks for credentials at a plain-HTTP token endpoint (${new URL(tokens.realm).origin}); refusing to send them unencrypted (list ${bearerTls.host} in ARCHWAY_INSECURE_REGISTRIES only if all of it is meant to be plain HTTP)`,
      );
      expect(err.retryable).toBe(false);
      expect(tokens.seen).toEqual([]);
      await c.close();
    } finally {
      await bearerTls.stop();
      await tokens.close();
    }
  });

  // Retries with minute-long backoffs would outlast the test's timeout: the failure must be at once.
  const slowRetries = { retries: 4, retryBaseMs: 60_000 };

  it('says to list a plain-HTTP registry in ARCHWAY_INSECURE_REGISTRIES, without retrying', async () => {
    const c = new RegistryClient({ registry: plain.host, insecure: false, ...slowRetries });
    const err = await c.ping('x/y').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(
      `registry ${plain.host} answered our TLS handshake in plain HTTP; if it is meant to serve plain HTTP, list it in ARCHWAY_INSECURE_REGISTRIES`,
    );
    expect(err.retryable).toBe(false);
    await c.close();
  });

  it('says a registry listed as insecure probably speaks HTTPS', async () => {
    const c = new RegistryClient({ registry: tls.host, insecure: true, ...slowRetries });
    const err = await c.ping('x/y').catch((e) => e);
    expect(err.message).toBe(
      `registry ${tls.host} refused plain HTTP (GET /v2/ answered 400): it is listed in ARCHWAY_INSECURE_REGISTRIES but probably speaks HTTPS`,
    );
    expect(err.retryable).toBe(false);
    await c.close();
  });
});
