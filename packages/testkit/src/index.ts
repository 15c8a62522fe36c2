export * from './bad-input.ts';
export * from './chromium.ts';
export * from './fake-influx/index.ts';
export * from './mosquitto.ts';
export * from './process.ts';
export * from './subscriber.ts';
