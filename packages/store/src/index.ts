export * from './errors.ts';
export type { DeadLetterSummary } from './history.ts';
export {
  OUTBOX_CURSOR_KEYS,
  OUTBOX_TABLES,
  type OutboxBatch,
  type OutboxRow,
  type OutboxTable,
} from './outbox.ts';
export type { PruneStep } from './retention.ts';
export * from './schema.ts';
export * from './store.ts';
export * from './writer.ts';
