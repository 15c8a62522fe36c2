/** The trainer's expected failures: a code to branch on, a message a user can act on, and the cause. */

export type TrainerErrorCode =
  /** --data names no readable file */
  | 'missing-file'
  /** an empty file, or a header without rows */
  | 'empty-data'
  /**
   * not well-formed CSV (an unterminated quote, a row with the wrong number of fields, a repeated column),
   * or a row without a label or a group value
   */
  | 'bad-csv'
  /** a column asked for (feature, label or group) that the header does not have */
  | 'unknown-column'
  /** a feature value, or a regression target, that is not a finite decimal number */
  | 'not-numeric'
  /** a label column with fewer than two classes */
  | 'single-class'
  /** a regression target with one value in every row (after --label-max): nothing to learn */
  | 'constant-target'
  /** the group split cannot give both sets every class */
  | 'split-failed'
  /** the model, sidecar or report could not be put in place; the previous files are untouched */
  | 'write-failed';

export class TrainerError extends Error {
  readonly code: TrainerErrorCode;

  constructor(code: TrainerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainerError';
    this.code = code;
  }
}
