/**
 * `GIT_ALLOW_PROTOCOL` for every git the API and agents run: `ext::` and friends run commands, so
 * only transports that fetch data are allowed, also for redirects and submodules.
 */
export const GIT_ALLOWED_PROTOCOLS = 'http:https:ssh:git:file';
