export * from './platform.ts';
export * from './reference.ts';
export * from './paths.ts';
export * from './api.ts';
export * from './jobs.ts';
export * from './events.ts';
export * from './repos.ts';
export * from './redis-keys.ts';
