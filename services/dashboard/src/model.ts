/**
 * The serving model as its training report describes it (`<model>.report.json` beside MODEL_PATH, written
 * by the trainer): re-read whenever the file changes (its size, mtime or inode, polled), validated, and
 * null with the reason logged once when it is missing or unreadable.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '@pdm/service-kit';
import { z } from 'zod';
import type { ModelResponse } from './api/contract.ts';

/** `models/pump-state.onnx` → `models/pump-state.report.json`, as the trainer names it. */
export function reportPathFor(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/, '')}.report.json`;
}

const score = z.number();
/** The parts of the trainer's TrainingReport the model view shows. */
const reportSchema = z.object({
  createdAt: z.string(),
  classes: z.array(z.string()),
  hyperparameters: z.record(z.string(), z.unknown()),
  heldOut: z.object({
    accuracy: score,
    macroF1: score,
    perClass: z.record(
      z.string(),
      z.object({ precision: score, recall: score, f1: score, support: z.number().int() }),
    ),
    confusionMatrix: z.object({
      classes: z.array(z.string()),
      counts: z.array(z.array(z.number().int())),
    }),
  }),
  featureImportances: z.array(z.object({ feature: z.string(), importance: score })),
  model: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export type ServingModel = NonNullable<ModelResponse['serving']>;

export class ModelReport {
  readonly path: string;
  readonly #log: Logger;
  readonly #poll: NodeJS.Timeout;
  #fingerprint = 'unread';
  #serving: ServingModel | null = null;
  #problem: string | undefined;

  constructor(modelPath: string, log: Logger, { pollMs = 2000 } = {}) {
    this.path = reportPathFor(modelPath);
    this.#log = log;
    this.check();
    this.#poll = setInterval(() => this.check(), pollMs);
    this.#poll.unref();
  }

  get serving(): ServingModel | null {
    return this.#serving;
  }

  /** Reads the report again if the file changed since the last look. */
  check(): void {
    const fingerprint = fingerprintOf(this.path);
    if (fingerprint === this.#fingerprint) return;
    this.#fingerprint = fingerprint;
    const read = fingerprint === '' ? { problem: 'no report file' } : readReport(this.path);
    if ('problem' in read) {
      this.#serving = null;
      if (read.problem !== this.#problem)
        this.#log.warn({ path: this.path, problem: read.problem }, 'model report not shown');
      this.#problem = read.problem;
      return;
    }
    this.#serving = read.serving;
    this.#problem = undefined;
    this.#log.info({ path: this.path, version: read.serving.version }, 'model report read');
  }

  close(): void {
    clearInterval(this.#poll);
  }
}

function fingerprintOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return '';
  }
}

function readReport(path: string): { serving: ServingModel } | { problem: string } {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { problem: `unreadable: ${(err as Error).message}` };
  }
  const parsed = reportSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
    return { problem: `not a training report: ${issues.join('; ')}` };
  }
  const r = parsed.data;
  return {
    serving: {
      // The version inference puts in every prediction: creation time and the ONNX file's hash.
      version: `${r.createdAt}#${r.model.sha256.slice(0, 8)}`,
      createdAt: r.createdAt,
      classes: r.classes,
      heldOut: r.heldOut,
      featureImportances: r.featureImportances,
      hyperparameters: r.hyperparameters,
    },
  };
}
