// The resolver: accepted builds (`resolving`) to queued or failed, behind the requests (issue 18).
export { resolveBuild, type ResolveOptions, type ResolveOutcome } from './resolve-build.ts';
export { DEFAULT_RESOLVE_CONCURRENCY, DEFAULT_RESOLVE_HOST_CONCURRENCY, startResolver, type Resolver, type ResolverOptions } from './worker.ts';
