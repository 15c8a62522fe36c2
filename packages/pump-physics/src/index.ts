export * from './failure-modes.ts';
export * from './iso10816.ts';
export * from './lifecycle.ts';
export * from './messages.ts';
export * from './pump.ts';
export * from './rng.ts';
export * from './vibration.ts';
export * from './weibull.ts';
