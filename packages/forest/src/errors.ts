/** The one error type that leaves this package for expected failures: a code to branch on, and the cause. */

export type ForestErrorCode =
  /** bytes that do not parse as an ONNX model */
  | 'malformed-onnx'
  /** an ONNX model without our metadata, or with metadata that does not validate */
  | 'invalid-metadata'
  /** metadata written by a newer or different exporter */
  | 'unsupported-format'
  /** writing the model or its sidecar to disk failed; the previous files are untouched */
  | 'write-failed';

export class ForestError extends Error {
  readonly code: ForestErrorCode;

  constructor(code: ForestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ForestError';
    this.code = code;
  }
}
