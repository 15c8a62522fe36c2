/** Progress for a person at a terminal: one stderr line rewritten in place, and nothing at all otherwise. */

export interface Progress {
  update(text: string): void;
  /** clears the line, so the report starts on a clean one */
  done(): void;
}

export const silentProgress: Progress = { update() {}, done() {} };

/** Redraws at most every `intervalMs`, so growing 1,000 small trees does not flood the terminal. */
export function terminalProgress(
  write: (text: string) => void,
  intervalMs = 100,
  now: () => number = () => performance.now(),
): Progress {
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return {
    update(text) {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      shown = true;
      // carriage return and erase-to-end-of-line: the new text replaces the old in place
      write(`\r${text}\x1b[K`);
    },
    done() {
      if (shown) write('\r\x1b[K');
      shown = false;
      last = Number.NEGATIVE_INFINITY;
    },
  };
}
