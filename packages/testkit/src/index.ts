export * from './mosquitto.ts';
export * from './process.ts';
export * from './subscriber.ts';
export * from './fake-influx.ts';
