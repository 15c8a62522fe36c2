/**
 * A model in service (the state model, or the RUL model), swapped atomically. A batch holds the model it started with until it is done,
 * so in-flight messages finish on the old session, which is released only when its last batch returns.
 */
import type { LoadedModel, ServedModel } from './model.ts';

interface Slot<M extends ServedModel> {
  readonly model: M;
  users: number;
  retired: boolean;
}

export interface ModelLease<M extends ServedModel = LoadedModel> {
  readonly model: M;
  release(): void;
}

export class ModelHolder<M extends ServedModel = LoadedModel> {
  #current: Slot<M> | undefined;

  get model(): M | undefined {
    return this.#current?.model;
  }

  /** The current model for one batch; call release() when the batch is done. */
  lease(): ModelLease<M> | undefined {
    const slot = this.#current;
    if (!slot) return undefined;
    slot.users += 1;
    let released = false;
    return {
      model: slot.model,
      release: () => {
        if (released) return;
        released = true;
        slot.users -= 1;
        if (slot.retired && slot.users === 0) void slot.model.session.release();
      },
    };
  }

  /** Serves `next` from now on; returns the model it replaces. */
  swap(next: M): M | undefined {
    const old = this.#current;
    this.#current = { model: next, users: 0, retired: false };
    if (old) {
      old.retired = true;
      if (old.users === 0) void old.model.session.release();
    }
    return old?.model;
  }

  async close(): Promise<void> {
    const slot = this.#current;
    this.#current = undefined;
    if (slot && slot.users === 0) await slot.model.session.release();
    else if (slot) slot.retired = true;
  }
}
