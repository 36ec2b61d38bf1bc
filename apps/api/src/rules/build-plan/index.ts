export { planBuild, type BuildPlan, type CommitInfo, type PlanInput, type RepoBuildDefaults } from './plan.ts';
export { sourceRef, triggerRef, type RefTrigger } from './trigger.ts';
