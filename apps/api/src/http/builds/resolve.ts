import type { Build } from '../../generated/prisma/client.ts';
import { repoBuildSettings } from './build-secrets.ts';
import { queueResolvedBuild, type CreateBuildDeps } from './create.ts';
import { resolveRef } from './git.ts';
import { checkSourceAddress } from './source-address.ts';
import { storedRequest, withCommit } from './stored-request.ts';

export interface ResolveRequestDeps extends CreateBuildDeps {
  /** Deadline of each git call (default GIT_TIMEOUT_MS). */
  gitTimeoutMs?: number;
}

/**
 * The resolver's part for a build made from a request (REST, rebuild): the host's addresses (DNS),
 * the ref's commit unless the request pinned one (`git ls-remote`), the repository's time limit and
 * secrets for a rebuild of a repository's build, then queued. Throws the 422/503 a request used to
 * get (the resolver fails the build with its message). False: the build left `resolving` meanwhile.
 */
export async function resolveRequestBuild(deps: ResolveRequestDeps, build: Build): Promise<boolean> {
  const req = storedRequest(build);
  await checkSourceAddress(req.source.url, deps.allowLocalSources ?? false);
  const commit = req.source.commit ?? (await resolveRef(req.source.url, req.source.ref, deps.gitTimeoutMs));
  const settings = await repoBuildSettings(deps, build);
  return queueResolvedBuild(deps, build.id, withCommit(req, commit), settings, { triggerRef: build.triggerRef });
}
