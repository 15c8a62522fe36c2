/**
 * Notices when the model file is replaced. fs.watch on the folder catches the trainer's rename at once;
 * a stat poll backs it up where watching does not work (some bind mounts and network filesystems).
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Size, mtime and inode: a rename or rewrite changes at least one. Empty when there is no file. */
export function fingerprintOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return '';
  }
}

export class ModelWatcher {
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #last: string;
  readonly #path: string;
  readonly #onChange: () => void;
  readonly #settleMs: number;

  /**
   * `known` is the fingerprint of the file as last judged ('' for no file): only a change from it counts.
   * `onChange` runs once the file has stopped changing for `settleMs`.
   */
  constructor(path: string, known: string, onChange: () => void, { pollMs = 1000, settleMs = 150 } = {}) {
    this.#path = path;
    this.#last = known;
    this.#onChange = onChange;
    this.#settleMs = settleMs;
    try {
      this.#watcher = watch(dirname(path), (_event, name) => {
        if (name === null || name === basename(path)) this.#check();
      });
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      // The folder may not exist yet; the poll covers it.
    }
    this.#poll = setInterval(() => this.#check(), pollMs);
    this.#poll.unref();
  }

  /** Marks the current file as seen, e.g. after a load. */
  accept(fingerprint: string): void {
    this.#last = fingerprint;
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  #check(): void {
    const now = fingerprintOf(this.#path);
    if (now === this.#last || now === '') return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      if (fingerprintOf(this.#path) === now) this.#onChange();
    }, this.#settleMs);
  }
}
