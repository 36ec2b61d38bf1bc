export * from './object-store.ts';
export * from './redis-keys.ts';
export * from './events.ts';
