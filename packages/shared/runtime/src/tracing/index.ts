export * from './carrier.ts';
export * from './setup.ts';
export * from './env.ts';
