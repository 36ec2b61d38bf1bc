// Shared with the API's base-image watcher: one reading of registry challenges (@archway/runtime).
export { parseChallenge, repositoryScope, type Challenge } from '@archway/runtime';
