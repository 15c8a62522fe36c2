/**
 * Names of the inference service's daily prediction logs: `predictions-YYYY-MM-DD.jsonl`, one file per
 * UTC day. The writer is services/inference/src/daily-log.ts; a service may not import another service,
 * so the naming is repeated here. Moving it to @pdm/telemetry would make it one fact in one place.
 */
import { join } from 'node:path';

const PATTERN = /^predictions-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** The UTC day of a time, as it appears in the file name. */
export function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function logFileName(day: string): string {
  return `predictions-${day}.jsonl`;
}

export function logPath(dir: string, day: string): string {
  return join(dir, logFileName(day));
}

/** The day of a prediction log's file name, or undefined for any other file. */
export function dayOfFileName(name: string): string | undefined {
  return PATTERN.exec(name)?.[1];
}
