export { planBuild, type BuildPlan, type CommitInfo, type PlanInput, type RepoBuildDefaults } from './plan.ts';
export { sourceRef, triggerRef, type BuildTrigger } from './trigger.ts';
