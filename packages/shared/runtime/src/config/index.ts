export * from './config-error.ts';
export * from './load-config.ts';
export * as field from './fields.ts';
