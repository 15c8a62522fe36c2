export * from './bad-input.ts';
export * from './fake-influx/index.ts';
export * from './fake-telegram/index.ts';
export * from './manual-clock.ts';
export * from './mosquitto.ts';
export * from './process.ts';
export * from './subscriber.ts';
export * from './webhook-receiver.ts';
