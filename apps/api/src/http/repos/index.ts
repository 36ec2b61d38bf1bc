// What other features use of repos: accepting a repository's build from a trigger (webhooks), and
// resolving it (the resolver worker).
export {
  acceptRepoBuild,
  cancelSuperseded,
  cancelsSuperseded,
  newerBuildOf,
  ResolveFailure,
  resolveRepoBuild,
  triggerRef,
  type RepoTrigger,
} from './trigger.ts';
