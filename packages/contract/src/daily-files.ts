/**
 * Names of the daily log files: `<prefix>-YYYY-MM-DD.<extension>`, one per UTC day. Inference writes its
 * prediction logs and dead letters under these names; tail-predictions finds and follows them.
 */

export const PREDICTIONS_LOG = 'predictions';
export const DEAD_LETTERS_LOG = 'dead-letters';

/** The UTC day of a time, as it appears in file names. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function dailyFileName(prefix: string, day: string, extension: string): string {
  return `${prefix}-${day}.${extension}`;
}

/** The day in a daily file's name, or undefined for any other file. */
export function dayOfDailyFile(name: string, prefix: string, extension: string): string | undefined {
  const day = name.slice(prefix.length + 1, prefix.length + 11);
  return name === dailyFileName(prefix, day, extension) && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : undefined;
}
