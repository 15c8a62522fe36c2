export * from './errors.ts';
export type { AlertFilter, DeadLetterSummary, ModelVersionSeen } from './history.ts';
export { OUTBOX_TABLES, type OutboxBatch, type OutboxRow, type OutboxTable } from './outbox.ts';
export type { PruneStep } from './retention.ts';
export * from './schema.ts';
export * from './store.ts';
export * from './writer.ts';
