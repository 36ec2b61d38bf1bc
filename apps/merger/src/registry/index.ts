export * from './auth-file.ts';
export * from './challenge.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './host.ts';
export * from './pool.ts';
export * from './transport.ts';
