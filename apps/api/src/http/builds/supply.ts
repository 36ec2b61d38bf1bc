import type { PublishSupply } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { formatVersion, parseVersion } from '../../rules/tag-rules/index.ts';
import type { StoredRequest } from './stored-request.ts';
import type { RepoBuildSettings } from './build-secrets.ts';

/**
 * What the merger needs for a build's provenance, annotations and switches (PublishJob.supply,
 * docs/supply-chain.md). Build args by name only: their values may be credentials.
 */
export function publishSupply(
  publicUrl: string | undefined,
  req: StoredRequest,
  settings: RepoBuildSettings,
  triggerRef: string | null | undefined,
): PublishSupply {
  const builderId = publicUrl ?? 'urn:archway:builder';
  const tag = triggerRef?.startsWith('tag:') ? triggerRef.slice('tag:'.length) : undefined;
  const version = tag ? parseVersion(tag) : undefined;
  return {
    // The request's switch and the repository's: either one turns attestations off.
    attestations: req.attestations && settings.attestations !== false,
    sign: !(triggerRef?.startsWith('pr:') ?? false),
    builderId,
    source: { url: req.source.url, ref: req.source.ref, commit: req.source.commit },
    containerfile: req.containerfile ?? null,
    context: req.context,
    buildArgNames: Object.keys(req.buildArgs).sort(),
    ...(version ? { version: formatVersion(version) } : tag ? { version: tag } : {}),
    ...(settings.title ? { title: settings.title } : {}),
  };
}

/**
 * The repository settings publishSupply reads, without opening any secret: for a publish job the
 * reconciler queues again (the build's tasks are already built).
 */
export async function repoSupplySettings(prisma: PrismaClient, repoId: string | null): Promise<Pick<RepoBuildSettings, 'attestations' | 'title' | 'secrets'>> {
  const repo = repoId ? await prisma.repo.findUnique({ where: { id: repoId }, select: { fullName: true, attestations: true } }) : null;
  return repo ? { secrets: [], attestations: repo.attestations, title: repo.fullName } : { secrets: [] };
}
