// Shared with the API's base-image watcher: one mapping of registry names to hosts (@archway/runtime).
export { apiHost, authKeyToRegistry, hostListed } from '@archway/runtime';
