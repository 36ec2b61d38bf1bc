// What other features use of builds: creating and canceling a build, finding and serializing one,
// and the checks a repository shares with a build request (source URL, stored secrets).
export { cancelBuild, removeWaitingJobs } from './cancel.ts';
export { createBuild, requeueBuildFlow } from './create.ts';
export { publishJobOptions } from './flow.ts';
export { publishSupply, repoSupplySettings } from './supply.ts';
export { storedRequest, withCommit } from './stored-request.ts';
export { checkSourceUrl } from './git.ts';
export { checkSourceAddress } from './source-address.ts';
export { storedSecrets } from './build-secrets.ts';
export { findBuild } from './plugin.ts';
export { BUILD_INCLUDE, toBuild, UUID_RE } from './serialize.ts';
