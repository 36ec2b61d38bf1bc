import { BuildRequest } from '@archway/contract';
import type { Build } from '../../generated/prisma/client.ts';

/**
 * A request as stored on its Build: validated, normalised (defaults applied) and with the commit
 * the trigger resolved, so a job or a rebuild never needs the ref again. Secrets are never part of
 * it (the schema has no such field; they are sealed per task at enqueue time).
 */
export type StoredRequest = BuildRequest & { source: BuildRequest['source'] & { commit: string } };

export function withCommit(req: BuildRequest, commit: string): StoredRequest {
  return { ...req, source: { ...req.source, commit } };
}

/**
 * The request a build was created from. Builds that failed before queueing (an invalid
 * `.archway.yaml`) stored none: their columns describe what would have been built. Parsing applies
 * today's validation, so a rebuild of an old request that no longer validates is refused (400).
 */
export function storedRequest(build: Build): BuildRequest {
  if (build.request !== null) return BuildRequest.parse(build.request);
  return BuildRequest.parse({
    source: { url: build.sourceUrl, ref: build.ref, ...(build.commit ? { commit: build.commit } : {}) },
    ...(build.containerfile ? { containerfile: build.containerfile } : {}),
    context: build.context,
    platforms: build.platforms,
    ...(build.image ? { image: build.image } : {}),
    tags: build.tags,
    buildArgs: build.buildArgs,
    push: build.push,
  });
}
