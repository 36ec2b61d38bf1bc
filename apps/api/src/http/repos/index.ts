// What other features use of repos: starting a repository's build from a trigger (webhooks).
export { triggerRef, triggerRepoBuild, type RepoTrigger } from './trigger.ts';
