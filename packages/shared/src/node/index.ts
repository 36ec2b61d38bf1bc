export * from './object-store.ts';
export * from './redis-keys.ts';
export * from './events.ts';
export * from './s3-object-store.ts';
export { s3OptionsFromUrl } from './s3-settings.ts';
export * from './build-secrets.ts';
export * from './redact-url.ts';
export * from './link-or-copy.ts';
export * from './archive-layout-digest.ts';
