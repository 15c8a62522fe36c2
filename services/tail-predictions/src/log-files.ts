/** The prediction logs tail-predictions follows: `predictions-YYYY-MM-DD.jsonl`, as inference writes them. */
import { join } from 'node:path';
import { dailyFileName, dayOfDailyFile, PREDICTIONS_LOG, utcDay } from '@pdm/contract';

export const dayOf = utcDay;

export function logFileName(day: string): string {
  return dailyFileName(PREDICTIONS_LOG, day, 'jsonl');
}

export function logPath(dir: string, day: string): string {
  return join(dir, logFileName(day));
}

/** The day of a prediction log's file name, or undefined for any other file. */
export function dayOfFileName(name: string): string | undefined {
  return dayOfDailyFile(name, PREDICTIONS_LOG, 'jsonl');
}
