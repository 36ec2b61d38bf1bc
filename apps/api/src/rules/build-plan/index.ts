// How a registered repository's trigger and commit become a build plan: pure functions the resolver calls.
export { needsChangedPaths, needsRepoTags, planBuild, type BuildPlan, type CommitInfo, type PlanInput, type RepoBuildDefaults } from './plan.ts';
export { parseTriggerRef, sourceRef, triggerRef, type RefTrigger, type RepoTrigger } from './trigger.ts';
