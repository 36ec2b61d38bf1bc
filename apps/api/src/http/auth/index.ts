// What other features use of auth: installing it on a scope, the authenticator type, token lookup and creation.
export { installAuth, type RequestAuthenticator } from './plugin.ts';
export { createToken, lookupToken, type TokenIdentity } from './tokens.ts';
export { throttleFor } from './throttle.ts';
export type { AuthThrottle } from './throttle.ts';
export { checkImageAllowed } from './image-prefixes.ts';
