import { describe, expect, it } from 'vitest';
import { shutdownInOrder } from './shutdown.ts';

describe('orderly shutdown', () => {
  it('runs every step in order, logs a failing one, and still runs the rest', async () => {
    const done: string[] = [];
    const errors: unknown[] = [];
    await shutdownInOrder({ error: (obj: unknown) => errors.push(obj) } as never, [
      ['first', () => done.push('first')],
      [
        'second',
        async () => {
          await new Promise((r) => setTimeout(r, 5));
          throw new Error('disk gone');
        },
      ],
      ['third', async () => done.push('third')],
    ]);
    expect(done).toEqual(['first', 'third']);
    expect(errors).toMatchObject([{ step: 'second', err: { message: 'disk gone' } }]);
  });

  it('abandons a step that outlives its timeout with a warning, and runs the rest', async () => {
    const done: string[] = [];
    const warnings: unknown[] = [];
    const logger = { error: () => {}, warn: (obj: unknown) => warnings.push(obj) } as never;
    await shutdownInOrder(
      logger,
      [
        ['hangs', () => new Promise(() => {})],
        ['after', () => done.push('after')],
      ],
      20,
    );
    expect(done).toEqual(['after']);
    expect(warnings).toMatchObject([{ step: 'hangs', afterMs: 20 }]);
  });
});
