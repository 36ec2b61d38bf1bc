export * from './env.ts';
export * from './run.ts';
export * from './remote.ts';
