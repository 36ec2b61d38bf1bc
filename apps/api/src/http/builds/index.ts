// What other features use of builds: creating (accepting, resolving, queueing) and canceling a
// build, finding and serializing one, and the checks a repository shares with a build request
// (source URL, stored secrets).
export { cancelBuild, removeWaitingJobs } from './cancel.ts';
export { acceptBuild, createBuild, enqueueResolve, queueResolvedBuild, requeueBuildFlow, type AcceptedRow } from './create.ts';
export { publishJobOptions } from './flow.ts';
export { publishSupply, repoSupplySettings } from './supply.ts';
export { checkSourceUrl, hostOf } from './git.ts';
export { resolveRequestBuild } from './resolve.ts';
export { checkSourceAddress, checkSourceAddressOffline, sourceHost } from './source-address.ts';
export { repoBuildSettings, storedSecrets } from './build-secrets.ts';
export { storedRequest, withCommit } from './stored-request.ts';
export { findBuild } from './plugin.ts';
export { BUILD_INCLUDE, toBuild, UUID_RE } from './serialize.ts';
