export * from './mosquitto.ts';
