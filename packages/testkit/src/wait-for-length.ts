/** Waiting for a fake server's record of requests to grow, woken by the server rather than by polling. */

/**
 * Resolves with a copy of `list` once it holds at least `count` items; `watchers` are called by the
 * server whenever it adds one. Rejects after `timeoutMs` with `what` in the message.
 */
export function waitForLength<T>(
  list: readonly T[],
  count: number,
  timeoutMs: number,
  watchers: Set<() => void>,
  what: string,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (list.length < count) return;
      clearTimeout(timer);
      watchers.delete(check);
      resolve(list.slice());
    };
    const timer = setTimeout(() => {
      watchers.delete(check);
      reject(new Error(`${what}: ${list.length} of ${count} within ${timeoutMs} ms`));
    }, timeoutMs);
    watchers.add(check);
    check();
  });
}
