/**
 * A model's life in service: the first load, the wait for a usable file when there is none (or, for an
 * optional model, none and no wait), a reload whenever the file is replaced (a refused file leaves the old
 * model serving), and its /healthz line. The state model and the RUL model each have one.
 */
import type { Counter, Gauge, Logger } from '@pdm/service-kit';
import { type LoadedModel, loadModel, ModelError, type ModelLoader, type ServedModel } from './model.ts';
import type { ModelHolder } from './model-holder.ts';
import { fingerprintOf, ModelWatcher } from './model-watcher.ts';

/** main.ts tells this rejection of start() from a failure */
export const STOPPED_WAITING = 'stopped while waiting for a model';

export interface ModelMetrics {
  readonly reloads: Counter<'result'>;
  readonly info: Gauge<'version'>;
}

/** What kind of model a lifecycle serves, and how it talks about it. */
export interface ModelKind<M extends ServedModel> {
  /** as the log names it: "model", "RUL model" */
  readonly name: string;
  readonly load: ModelLoader<M>;
  /**
   * Optional: start() does not wait for it, a missing file is no problem (said once, at info), and the
   * start-up load counts in the reload metric like later ones (a refused file there is worth a look).
   */
  readonly optional: boolean;
  /** where the file comes from, for the log line that says there is none */
  readonly source: string;
  /** what the log says about a loaded model besides its version, e.g. its classes */
  readonly details: (model: M) => Readonly<Record<string, unknown>>;
}

/** The state classifier: required, inference waits for it. */
export const STATE_MODEL: ModelKind<LoadedModel> = {
  name: 'model',
  load: loadModel,
  optional: false,
  source: 'pnpm train writes models/pump-state.onnx',
  details: (model) => ({ classes: model.classes }),
};

/** One look at the file: the model, or why it cannot serve; either way the fingerprint of what was read. */
type Attempt<M> =
  | { readonly ok: true; readonly model: M; readonly fingerprint: string }
  | {
      readonly ok: false;
      readonly problem: string;
      readonly missing: boolean;
      readonly fingerprint: string;
    };

export class ModelLifecycle<M extends ServedModel = LoadedModel> {
  readonly #path: string;
  readonly #holder: ModelHolder<M>;
  readonly #metrics: ModelMetrics;
  readonly #logger: Logger;
  readonly #kind: ModelKind<M>;
  #watcher: ModelWatcher | undefined;
  /** why no model serves, for /healthz */
  #problem = 'not loaded yet';
  /** reloads run one after the other, in the order the file changed */
  #reloading = Promise.resolve();
  /** the fingerprint of the file as last loaded or refused */
  #judged = '';
  /** set while start() waits for a first model */
  #onFirstModel: (() => void) | undefined;

  /** Serves through `holder`, which the pipeline leases the model from. */
  constructor(
    path: string,
    holder: ModelHolder<M>,
    metrics: ModelMetrics,
    logger: Logger,
    kind: ModelKind<M>,
  ) {
    this.#path = path;
    this.#holder = holder;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#kind = kind;
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
    const { name, optional } = this.#kind;
    const first = await this.#attempt();
    if (first.ok) {
      this.#serve(first.model);
      if (optional) this.#metrics.reloads.inc({ result: 'loaded' });
      this.#logger.info(
        { model: this.#path, version: first.model.version, ...this.#kind.details(first.model) },
        `${name} loaded`,
      );
    } else {
      this.#problem = first.problem;
    }
    // The file just judged is judged again once it changes, not before.
    this.#watcher = new ModelWatcher(this.#path, first.fingerprint, () => this.#reload());
    if (first.ok) return;
    if (optional) {
      if (first.missing) {
        this.#logger.info(
          { model: this.#path },
          `no ${name}: served once one appears there (${this.#kind.source})`,
        );
      } else {
        this.#metrics.reloads.inc({ result: 'refused' });
        this.#logger.error({ model: this.#path, problem: first.problem }, `refused the ${name} file`);
      }
      return;
    }
    this.#logger.warn(
      { model: this.#path, problem: this.#problem },
      `no usable ${name}: waiting for one (${this.#kind.source}); not consuming meanwhile`,
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
    const { name } = this.#kind;
    this.#reloading = this.#reloading.then(async () => {
      // The watcher can notice one replacement twice (its poll ticks while a slow load runs): a file
      // already judged is not loaded, logged and counted again.
      if (fingerprintOf(this.#path) === this.#judged) return;
      const next = await this.#attempt();
      const current = this.#holder.model;
      if (!next.ok) {
        if (!current) this.#problem = next.problem;
        this.#watcher?.accept(next.fingerprint);
        this.#metrics.reloads.inc({ result: 'refused' });
        this.#logger.error(
          { problem: next.problem, serving: current?.version ?? 'nothing' },
          `refused the new ${name} file; ${current ? `the old ${name} keeps serving` : `no ${name} serves`}`,
        );
        return;
      }
      const old = this.#serve(next.model);
      this.#metrics.reloads.inc({ result: 'loaded' });
      this.#logger.info(
        { from: old?.version ?? 'none', to: next.model.version, ...this.#kind.details(next.model) },
        `${name} ${old?.version ?? 'none'} → ${next.model.version}`,
      );
      this.#onFirstModel?.();
    });
  }

  async #attempt(): Promise<Attempt<M>> {
    // Taken before reading: a file replaced during the load then differs, and is loaded again.
    const fingerprint = fingerprintOf(this.#path);
    this.#judged = fingerprint;
    try {
      return { ok: true, model: await this.#kind.load(this.#path, fingerprint), fingerprint };
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      return { ok: false, problem: err.message, missing: err.code === 'missing', fingerprint };
    }
  }

  /** Swaps `model` in; returns the model it replaces. */
  #serve(model: M): M | undefined {
    const old = this.#holder.swap(model);
    this.#watcher?.accept(model.fingerprint);
    this.#problem = '';
    if (old) this.#metrics.info.set({ version: old.version }, 0);
    this.#metrics.info.set({ version: model.version }, 1);
    return old;
  }
}
