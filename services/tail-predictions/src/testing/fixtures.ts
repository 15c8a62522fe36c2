/** Test fixtures: messages as inference writes them, an output that can be awaited, a log that records. */
import { Writable } from 'node:stream';
import type { Alert, Prediction } from '@pdm/contract';
import { createLogger, type Logger } from '@pdm/service-kit';

export const MODEL_VERSION = '2026-03-01T08:00:00.000Z#1a2b3c4d';

export function prediction(overrides: Partial<Prediction> = {}): Prediction {
  return {
    pump_id: 'pump-00042',
    ts: Date.parse('2026-03-01T10:20:30.123Z'),
    seq: 7,
    state: 'HEALTHY',
    raw_state: 'HEALTHY',
    probabilities: { HEALTHY: 0.91, WARNING: 0.07, FAULTY: 0.02, BROKEN: 0 },
    vibration_rms: 1.84,
    iso_zone: 'A',
    model_version: MODEL_VERSION,
    latency_ms: 3.25,
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    pump_id: 'pump-00042',
    ts: Date.parse('2026-03-01T10:20:31.000Z'),
    seq: 8,
    kind: 'alarm',
    state: 'FAULTY',
    previous_state: 'WARNING',
    model_version: MODEL_VERSION,
    evidence: {
      raw_states: ['WARNING', 'FAULTY', 'FAULTY'],
      probabilities: { HEALTHY: 0.05, WARNING: 0.13, FAULTY: 0.82 },
      vibration_rms: 7.3,
      iso_zone: 'D',
      temperature: 71.24,
    },
    ...overrides,
  };
}

/** JSON Lines as the inference service writes them. */
export function jsonl(...rows: object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** Resolves when `done()` holds for what has arrived, checked on every arrival: no polling, no sleeps. */
class Waiters {
  readonly #waiters = new Set<() => void>();

  until(done: () => boolean, describe: () => string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms; so far:\n${describe()}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

export class RecordingOutput extends Writable {
  text = '';
  readonly #waiters = new Waiters();

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    this.#waiters.wake();
    callback();
  }

  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }

  /** Resolves once at least `count` lines have been written. */
  waitForLines(count: number): Promise<void> {
    return this.#waiters.until(
      () => this.lines.length >= count,
      () => this.text,
    );
  }
}

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error' | 'fatal' | 'other';
  /** the whole JSON line */
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

const LEVELS: Readonly<Record<number, LogEntry['level']>> = {
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A real pino logger (the kit's) that keeps what was logged. */
export class RecordingLog {
  readonly entries: LogEntry[] = [];
  readonly #waiters = new Waiters();
  readonly log: Logger;

  constructor() {
    const write = (line: string): void => {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const level = LEVELS[fields.level as number] ?? 'other';
      this.entries.push({ level, fields, msg: String(fields.msg ?? '') });
      this.#waiters.wake();
    };
    this.log = createLogger({ name: 'tail-test', level: 'info', to: { lines: { write } } });
  }

  messages(level?: LogEntry['level']): string[] {
    return this.entries.filter((e) => level === undefined || e.level === level).map((e) => e.msg);
  }

  waitFor(pattern: RegExp): Promise<void> {
    return this.#waiters.until(
      () => this.entries.some((e) => pattern.test(e.msg)),
      () => this.messages().join('\n'),
    );
  }
}
