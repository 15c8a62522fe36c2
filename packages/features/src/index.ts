export * from './extractor.ts';
export * from './features.ts';
