export * from './html.ts';
export * from './server.ts';
