export * from './parse.ts';
export * from './match.ts';
export * from './credential-helper.ts';
