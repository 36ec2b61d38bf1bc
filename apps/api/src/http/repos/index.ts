// What other features use of repos: accepting a repository's build from a trigger (webhooks,
// schedules, base-image changes), resolving it (the resolver worker) and finding a repository.
export {
  acceptRepoBuild,
  cancelSuperseded,
  cancelsSuperseded,
  newerBuildOf,
  ResolveFailure,
  ResolveSkip,
  resolveRepoBuild,
  triggerRef,
  type RepoTrigger,
} from './trigger.ts';
// Background triggers (schedules, base-image changes) resolve a branch themselves, then accept its build.
export { resolveRepoTrigger } from './resolve.ts';
export { findRepo } from './service.ts';
