export * from './buckets.ts';
export * from './exposition.ts';
export * from './push.ts';
export * from './pushed.ts';
export * from './registry.ts';
export * from './serve.ts';
export * from './env.ts';
export * from './export.ts';
