/** The store's one error type, with a code from a closed list. */

export type StoreErrorCode =
  | 'not_found'
  | 'not_a_store'
  | 'newer_schema'
  | 'io'
  /** a write on a store opened read-only */
  | 'readonly'
  /** a read asked for something the store cannot hold, such as an unknown channel */
  | 'bad_request';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
