/** When to retry a failed delivery: exponential backoff with jitter, for as long as it takes. */

export const BACKOFF_BASE_MS = 1000;
/** The longest wait between two attempts: a receiver back after an outage gets its backlog within this. */
export const BACKOFF_MAX_MS = 5 * 60_000;

/**
 * The wait before attempt `attempt + 1` after `attempt` failures: doubling from BACKOFF_BASE_MS up to
 * BACKOFF_MAX_MS, each drawn between half and all of that ("equal jitter"), so that many notifiers, or
 * many chats, do not retry in lockstep.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(attempt, 1) - 1, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
