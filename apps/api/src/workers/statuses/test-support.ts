import type { BuildStatus } from '@archway/contract';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
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
      status: o.status,
      repoId: o.repoId,
      triggerRef: 'branch:main',
    },
  });
}
