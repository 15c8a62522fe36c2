/**
 * Append-only log files, one per UTC day (named by @pdm/telemetry's daily-files). Lines are written whole, so
 * `tail -F` never shows half a row; yesterday's file is closed at midnight and files older than the
 * retention are deleted.
 */
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { dailyFileName, dayOfDailyFile, utcDay } from '@pdm/contract';

export interface DailyLogOptions {
  readonly dir: string;
  readonly prefix: string;
  readonly extension: string;
  /** written first in every new (empty) file, e.g. a CSV header */
  readonly header?: string;
  readonly retainDays: number;
}

const DAY_MS = 86_400_000;

export class DailyLog {
  #day = '';
  #stream: WriteStream | undefined;
  readonly #options: DailyLogOptions;

  constructor(options: DailyLogOptions) {
    this.#options = options;
    mkdirSync(options.dir, { recursive: true });
  }

  pathFor(day: string): string {
    return join(this.#options.dir, dailyFileName(this.#options.prefix, day, this.#options.extension));
  }

  /** Appends whole lines (each ending in \n), in the file of `now`'s day. */
  write(lines: string, now = Date.now()): void {
    const day = utcDay(now);
    if (day !== this.#day) this.#rotate(day, now);
    this.#stream?.write(lines);
  }

  /** Flushes and closes the current file. */
  close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#day = '';
    return new Promise((resolve) => (stream ? stream.end(resolve) : resolve()));
  }

  #rotate(day: string, now: number): void {
    this.#stream?.end();
    const path = this.pathFor(day);
    let empty = true;
    try {
      empty = statSync(path).size === 0;
    } catch {}
    this.#stream = createWriteStream(path, { flags: 'a' });
    if (empty && this.#options.header) this.#stream.write(`${this.#options.header}\n`);
    this.#day = day;
    this.#prune(now);
  }

  #prune(now: number): void {
    const oldest = utcDay(now - this.#options.retainDays * DAY_MS);
    for (const name of readdirSync(this.#options.dir)) {
      const day = dayOfDailyFile(name, this.#options.prefix, this.#options.extension);
      if (day !== undefined && day < oldest) rmSync(join(this.#options.dir, name), { force: true });
    }
  }
}
