import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuildStatus } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { toDbStatus } from '../../infra/build-status.ts';
import { createSecretBox, type SecretBox } from '../../infra/secrets/secret-box.ts';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { startStatusReporter, type ReporterDeps, type StatusReporter } from './reporter.ts';
import type { StatusRetry } from './queue.ts';

/**
 * A forge stand-in listening on loopback, an API and a running status reporter with short retries.
 * allowLocalSources: the repositories name hosts that do not resolve here (no DNS in the sandbox).
 */
export async function statusFixture(
  forge: Server,
  secretBox: SecretBox,
  retry: StatusRetry,
  metrics?: ReporterDeps['metrics'],
): Promise<{ f: ApiFixture; reporter: StatusReporter; base: string }> {
  await new Promise<void>((r) => forge.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(forge.address() as AddressInfo).port}`;
  const f = await apiFixture({ secretBox, allowLocalSources: true });
  const reporter = await startStatusReporter({
    prisma: f.prisma,
    redis: f.redis,
    prefix: f.prefix,
    publicUrl: 'http://archway.test',
    secretBox,
    retry,
    ...(metrics ? { metrics } : {}),
  });
  return { f, reporter, base };
}

/** A build of `main` of a registered repository at `commit`, as a trigger would have written it. */
export function repoBuildRow(f: ApiFixture, o: { repoId: string; commit: string; image: string | null; status: BuildStatus }) {
  return f.prisma.build.create({
    data: {
      sourceUrl: 'x',
      ref: 'main',
      commit: o.commit,
      platforms: ['linux/amd64'],
      tags: ['latest'],
      image: o.image,
      status: toDbStatus(o.status),
      repoId: o.repoId,
      triggerRef: 'branch:main',
    },
  });
}

interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the forges' commit status API: records every request and answers with
 * what the test queued (`failNext`), else 201 like GitHub and Forgejo.
 */
export function statusServer() {
  const received: Received[] = [];
  const failNext: Array<{ status: number; body: unknown }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body: JSON.parse(data || '{}') });
      const answer = failNext.shift() ?? { status: 201, body: { id: received.length } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  return { server, received, failNext };
}

/**
 * An API fixture with a secret box, the statuses reporter running against the stand-in forge, and
 * the forge API URL to register repositories with (`apiUrl`). Close with close().
 */
export async function withStatusForge(overrides: Partial<AppDeps> = {}) {
  const forge = statusServer();
  await new Promise<void>((r) => forge.server.listen(0, '127.0.0.1', r));
  const secretBox = createSecretBox(randomBytes(32));
  const f = await apiFixture({ allowLocalSources: true, secretBox, ...overrides });
  const reporter = await startStatusReporter({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, publicUrl: 'http://archway.test', secretBox });
  return {
    f,
    forge,
    apiUrl: `http://127.0.0.1:${(forge.server.address() as AddressInfo).port}/api/v3`,
    async close() {
      await reporter.close();
      await f.close();
      forge.server.close();
    },
  };
}
