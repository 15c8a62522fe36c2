/**
 * The model's life in service: the first load, the wait for a usable file when there is none, a reload
 * whenever the file is replaced (a refused file leaves the old model serving), and its /healthz line.
 */
import type { Counter, Gauge, Logger } from '@pdm/service-kit';
import { type LoadedModel, loadModel, ModelError } from './model.ts';
import type { ModelHolder } from './model-holder.ts';
import { fingerprintOf, ModelWatcher } from './model-watcher.ts';

/** main.ts tells this rejection of start() from a failure */
export const STOPPED_WAITING = 'stopped while waiting for a model';

export interface ModelMetrics {
  readonly reloads: Counter<'result'>;
  readonly info: Gauge<'version'>;
}

/** One look at the file: the model, or why it cannot serve; either way the fingerprint of what was read. */
type Attempt =
  | { readonly model: LoadedModel; readonly fingerprint: string }
  | { readonly model: undefined; readonly problem: string; readonly fingerprint: string };

export class ModelLifecycle {
  readonly #path: string;
  readonly #holder: ModelHolder;
  readonly #metrics: ModelMetrics;
  readonly #logger: Logger;
  #watcher: ModelWatcher | undefined;
  /** why no model serves, for /healthz */
  #problem = 'not loaded yet';
  /** reloads run one after the other, in the order the file changed */
  #reloading = Promise.resolve();
  /** set while start() waits for a first model */
  #onFirstModel: (() => void) | undefined;

  /** Serves through `holder`, which the pipeline leases the model from. */
  constructor(path: string, holder: ModelHolder, metrics: ModelMetrics, logger: Logger) {
    this.#path = path;
    this.#holder = holder;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** The /healthz line: the version in service, or why there is none. */
  get health(): string {
    return this.#holder.model?.version ?? `none: ${this.#problem}`;
  }

  /**
   * Loads the model and watches its file. Resolves once a model serves: at once, or when a usable file
   * appears, so that nothing is consumed meanwhile; rejects with STOPPED_WAITING if `signal` aborts first.
   */
  async start(signal: AbortSignal): Promise<void> {
    const first = await this.#attempt();
    if (first.model) {
      this.#serve(first.model);
      this.#logger.info(
        { model: this.#path, version: first.model.version, classes: first.model.classes },
        'model loaded',
      );
    } else {
      this.#problem = first.problem;
    }
    // The file just judged is judged again once it changes, not before.
    this.#watcher = new ModelWatcher(this.#path, first.fingerprint, () => this.#reload());
    if (first.model) return;
    this.#logger.warn(
      { model: this.#path, problem: this.#problem },
      'no usable model: waiting for one (pnpm train writes models/pump-state.onnx); not consuming meanwhile',
    );
    await new Promise<void>((resolve, reject) => {
      const stopped = () => reject(new Error(STOPPED_WAITING));
      if (signal.aborted) return stopped();
      this.#onFirstModel = resolve;
      signal.addEventListener('abort', stopped, { once: true });
    });
    this.#onFirstModel = undefined;
  }

  /** Stops watching the file; the holder still has the model until it is closed. */
  close(): void {
    this.#watcher?.close();
  }

  #reload(): void {
    this.#reloading = this.#reloading.then(async () => {
      const next = await this.#attempt();
      const current = this.#holder.model;
      if (!next.model) {
        if (!current) this.#problem = next.problem;
        this.#watcher?.accept(next.fingerprint);
        this.#metrics.reloads.inc({ result: 'refused' });
        this.#logger.error(
          { problem: next.problem, serving: current?.version ?? 'nothing' },
          'refused the new model file; the old model keeps serving',
        );
        return;
      }
      const old = this.#serve(next.model);
      this.#metrics.reloads.inc({ result: 'loaded' });
      this.#logger.info(
        { from: old?.version ?? 'none', to: next.model.version, classes: next.model.classes },
        `model ${old?.version ?? 'none'} → ${next.model.version}`,
      );
      this.#onFirstModel?.();
    });
  }

  async #attempt(): Promise<Attempt> {
    // Taken before reading: a file replaced during the load then differs, and is loaded again.
    const fingerprint = fingerprintOf(this.#path);
    try {
      return { model: await loadModel(this.#path, fingerprint), fingerprint };
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      return { model: undefined, problem: err.message, fingerprint };
    }
  }

  /** Swaps `model` in; returns the model it replaces. */
  #serve(model: LoadedModel): LoadedModel | undefined {
    const old = this.#holder.swap(model);
    this.#watcher?.accept(model.fingerprint);
    this.#problem = '';
    if (old) this.#metrics.info.set({ version: old.version }, 0);
    this.#metrics.info.set({ version: model.version }, 1);
    return old;
  }
}
