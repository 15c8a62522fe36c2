export * from './errors.ts';
export * from './health.ts';
export type { InfluxTarget } from './http.ts';
export * from './line-protocol.ts';
export * from './options.ts';
export * from './query.ts';
export * from './reader.ts';
export * from './writer.ts';
