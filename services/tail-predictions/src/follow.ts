/**
 * Follows the daily prediction log like `tail -F`: the last wanted rows first, then each whole line as
 * it is appended; on to the next day's file once it appears after midnight UTC; waiting, and saying so,
 * while the directory or the file is not there yet.
 */
import type { Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import type { Logger } from '@pdm/service-kit';
import { backlogStart } from './backlog.ts';
import { type Line, LineSplitter } from './lines.ts';
import { dayOf, dayOfFileName, logFileName, logPath } from './log-files.ts';

const CHUNK_BYTES = 256 * 1024;
/**
 * After the switch to a new day's file, the old one is still read for a while: the writer ends its old
 * stream and opens the new one at once, so the old file's last bytes may land after the new file exists.
 */
const RETIRE_AFTER_IDLE_POLLS = 20;

export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface FollowSettings {
  readonly dir: string;
  /** follow this UTC day's file and never switch; by default today's, switching at midnight */
  readonly date?: string | undefined;
  /** wanted rows to show from a file that exists at start; later files are shown from their start */
  readonly backlog: number;
  /** which lines count as rows for the backlog */
  readonly counts: (line: string) => boolean;
  readonly pollMs: number;
  readonly now?: () => number;
}

export interface FollowEvents {
  /** whole lines in file order; a returned promise holds reading back until it resolves */
  readonly lines: (file: string, lines: readonly Line[]) => Promise<void> | undefined;
  readonly log: Log;
}

interface Followed {
  readonly day: string;
  readonly path: string;
  readonly name: string;
  ino: number;
  offset: number;
  readonly splitter: LineSplitter;
  idlePolls: number;
}

export class LogFollower {
  #current: Followed | undefined;
  #retiring: Followed | undefined;
  #firstLook = true;
  #following = false;
  #stopped = false;
  #lastWait = '';
  #lastError = '';
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  readonly #settings: FollowSettings;
  readonly #events: FollowEvents;
  readonly #now: () => number;

  constructor(settings: FollowSettings, events: FollowEvents) {
    this.#settings = settings;
    this.#events = events;
    this.#now = settings.now ?? Date.now;
  }

  /** The file being read, if any. */
  get file(): string | undefined {
    return this.#current?.path;
  }

  /**
   * One look at the directory: find the file, read what was appended, switch days. Resolves with
   * whether a file is being read.
   */
  async poll(): Promise<boolean> {
    if (this.#retiring) await this.#retire(this.#retiring);
    if (!this.#current) await this.#find();
    const current = this.#current;
    if (!current) return false;
    await this.#read(current);
    if (this.#settings.date === undefined) await this.#rotate(current);
    return true;
  }

  /** Polls until stop(); a failed look is logged (once while it keeps failing the same way) and retried. */
  start(): void {
    this.#following = true;
    const tick = async (): Promise<void> => {
      try {
        await this.poll();
        this.#lastError = '';
      } catch (err) {
        const message = (err as Error).message;
        if (message !== this.#lastError)
          this.#events.log.error({ err }, 'could not read the prediction log; retrying');
        this.#lastError = message;
      }
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#polling = tick()), this.#settings.pollMs);
    };
    this.#polling = tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }

  async #find(): Promise<void> {
    const { dir, date } = this.#settings;
    const day = date ?? dayOf(this.#now());
    const path = logPath(dir, day);
    const firstLook = this.#firstLook;
    this.#firstLook = false;
    const stats = await statOf(path);
    if (!stats?.isFile()) {
      await this.#sayWaiting(path, day);
      return;
    }
    const start = firstLook
      ? await backlogStart(path, stats.size, this.#settings.backlog, this.#settings.counts)
      : 0;
    this.#current = followed(day, path, stats.ino, start);
    this.#lastWait = '';
    const name = logFileName(day);
    const verb = this.#following ? 'following' : 'reading';
    this.#events.log.info(
      { file: path },
      firstLook ? `${verb} ${name}` : `${name} appeared; ${verb} it from the start`,
    );
  }

  /** Says once per situation what is missing, and what is there instead. */
  async #sayWaiting(path: string, day: string): Promise<void> {
    const { dir } = this.#settings;
    const names = await readdir(dir).catch(() => undefined);
    const waiting = this.#following ? '; waiting for it' : '';
    let key: string;
    let message: string;
    let fields: Record<string, unknown>;
    if (names === undefined) {
      key = `dir:${dir}`;
      message = `the directory ${dir} does not exist yet${waiting} (the inference service creates it)`;
      fields = { dir };
    } else {
      const newest = names
        .filter((n) => dayOfFileName(n) !== undefined)
        .sort()
        .at(-1);
      key = `file:${path}`;
      message =
        `${logFileName(day)} does not exist yet in ${dir}${waiting}` +
        (newest ? ` (newest: ${newest}; is the inference service running?)` : ' (no prediction log yet)');
      fields = { file: path, newest };
    }
    if (key === this.#lastWait) return;
    this.#lastWait = key;
    this.#events.log.warn(fields, message);
  }

  async #read(file: Followed): Promise<void> {
    const stats = await statOf(file.path);
    if (!stats) {
      if (file === this.#current) {
        this.#current = undefined;
        this.#events.log.warn({ file: file.path }, `${file.name} was removed; waiting for it to come back`);
      } else this.#finish(file);
      return;
    }
    if (stats.ino !== file.ino) {
      this.#events.log.warn(
        { file: file.path },
        `${file.name} was replaced; reading the new one from the start`,
      );
      this.#restart(file, stats.ino);
    } else if (stats.size < file.offset) {
      this.#events.log.warn({ file: file.path }, `${file.name} was truncated; reading it from the start`);
      this.#restart(file, stats.ino);
    }
    if (stats.size === file.offset) {
      file.idlePolls += 1;
      return;
    }
    file.idlePolls = 0;
    const handle = await open(file.path, 'r').catch((err: NodeJS.ErrnoException) => {
      // Gone between stat and open: the next look says so.
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return;
    try {
      while (file.offset < stats.size && !this.#stopped) {
        const length = Math.min(CHUNK_BYTES, stats.size - file.offset);
        const chunk = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(chunk, 0, length, file.offset);
        if (bytesRead === 0) break;
        file.offset += bytesRead;
        const { lines, tooLongAt } = file.splitter.push(chunk.subarray(0, bytesRead));
        if (tooLongAt !== undefined) {
          this.#events.log.warn(
            { file: file.path, offset: tooLongAt },
            `skipped a line longer than 64 KiB in ${file.name}`,
          );
        }
        if (lines.length > 0) await this.#events.lines(file.path, lines);
      }
    } finally {
      await handle.close();
    }
  }

  #restart(file: Followed, ino: number): void {
    file.ino = ino;
    file.offset = 0;
    file.splitter.reset(0);
  }

  async #rotate(current: Followed): Promise<void> {
    const today = dayOf(this.#now());
    if (today <= current.day) return;
    const path = logPath(this.#settings.dir, today);
    const stats = await statOf(path);
    if (!stats?.isFile()) return;
    if (this.#retiring) this.#finish(this.#retiring);
    current.idlePolls = 0;
    this.#retiring = current;
    const next = followed(today, path, stats.ino, 0);
    this.#current = next;
    this.#events.log.info({ file: path }, `switched to ${next.name} (a new UTC day)`);
    await this.#read(next);
  }

  async #retire(file: Followed): Promise<void> {
    await this.#read(file);
    if (file.idlePolls >= RETIRE_AFTER_IDLE_POLLS) this.#finish(file);
  }

  #finish(file: Followed): void {
    if (this.#retiring === file) this.#retiring = undefined;
    if (file.splitter.pendingBytes > 0) {
      this.#events.log.warn(
        { file: file.path, offset: file.splitter.pendingAt },
        `${file.name} ended with an incomplete line; skipped`,
      );
    }
  }
}

function followed(day: string, path: string, ino: number, offset: number): Followed {
  return {
    day,
    path,
    name: logFileName(day),
    ino,
    offset,
    splitter: new LineSplitter(offset),
    idlePolls: 0,
  };
}

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}
