// The base-image watcher: started by main.ts, measured by bench/base-watch.
export { startBaseWatch, tickMs, type BaseWatchService, type BaseWatchSettings } from './service.ts';
export { RegistryPoller, PollError } from './registry.ts';
export { parseBaseReference } from './reference.ts';
