/** How a delivery attempt ended, the same for every receiver, so the outbox treats them alike. */

export type SendOutcome =
  | { readonly ok: true }
  /** 429: try again after `retryAfterMs`, not before */
  | {
      readonly ok: false;
      readonly kind: 'rate_limited';
      readonly retryAfterMs: number;
      readonly reason: string;
    }
  /** 5xx, a network error, a timeout: try again with backoff */
  | { readonly ok: false; readonly kind: 'retryable'; readonly reason: string }
  /** 401, 403 or another 4xx: the receiver is misconfigured; it is unhealthy, and the notification is kept */
  | { readonly ok: false; readonly kind: 'refused'; readonly reason: string };

/** Sorts an HTTP answer that is not a 2xx; `retryAfterS` from the body or the Retry-After header. */
export function httpFailure(status: number, description: string, retryAfterS?: number): SendOutcome {
  if (status === 429)
    return {
      ok: false,
      kind: 'rate_limited',
      retryAfterMs: Math.max(1, retryAfterS ?? 1) * 1000,
      reason: `429 ${description}`,
    };
  if (status >= 500 || status === 408)
    return { ok: false, kind: 'retryable', reason: `${status} ${description}` };
  return { ok: false, kind: 'refused', reason: `${status} ${description}` };
}

/** A fetch that threw: the network, a timeout, or our own abort. */
export function networkFailure(err: unknown): SendOutcome {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return {
    ok: false,
    kind: 'retryable',
    reason: `${e.name === 'TimeoutError' ? 'timeout' : 'network error'}: ${detail}`,
  };
}

/** Retry-After as seconds (a number of seconds, or an HTTP date). */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
