// What other features use of repos: finding a repository, resolving a ref, starting a build from a trigger.
export { triggerRef, triggerRepoBuild, type RepoTrigger } from './trigger.ts';
export { resolveRepoTrigger } from './resolve.ts';
export { findRepo } from './service.ts';
