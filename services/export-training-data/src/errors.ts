/** The export's expected failures, each with a code main.ts maps to an exit status and a message. */

export const EXPORT_ERROR_CODES = [
  /** nothing labelled in the range: there is no training set to write */
  'no_rows',
  /** the store cannot be opened or answered with an error before any row */
  'source_unavailable',
  /** the store failed part-way through a pass */
  'source_failed',
  /** the output file cannot be created, written or renamed */
  'output_failed',
  /** stopped by a signal; nothing was left behind */
  'aborted',
] as const;
export type ExportErrorCode = (typeof EXPORT_ERROR_CODES)[number];

export class ExportError extends Error {
  override readonly name = 'ExportError';

  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
