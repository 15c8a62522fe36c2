export * from './config.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './mqtt.ts';
export * from './ops-server.ts';
export * from './rate-limited-log.ts';
export * from './shutdown.ts';
export * from './sink.ts';
