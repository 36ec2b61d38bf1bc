// How a registered repository's trigger becomes a build request: pure functions the resolver calls.
export { needsRepoTags, planRepoBuild, type RepoBuildInput, type RepoBuildPlan, type RepoSettings } from './plan.ts';
export { parseTriggerRef, sourceRef, triggerRef, type RepoTrigger } from './trigger.ts';
