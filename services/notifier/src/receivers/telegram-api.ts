/**
 * The Telegram Bot API over fetch: one method call, its answer sorted into a SendOutcome. The token is
 * part of the URL, so no URL is ever logged or put into a reason.
 */
import { httpFailure, networkFailure, type SendOutcome } from './outcome.ts';

/** A request that the API did not answer within this long is retried; getUpdates adds its own wait. */
const REQUEST_TIMEOUT_MS = 15_000;

export type TelegramAnswer<T> =
  | { readonly ok: true; readonly result: T }
  | Exclude<SendOutcome, { ok: true }>;

export class TelegramApi {
  readonly #base: string;

  constructor(apiUrl: string, token: string) {
    this.#base = `${apiUrl.replace(/\/+$/, '')}/bot${token}`;
  }

  async call<T>(
    method: string,
    body: Record<string, unknown>,
    { signal, extraTimeoutMs = 0 }: { signal?: AbortSignal; extraTimeoutMs?: number } = {},
  ): Promise<TelegramAnswer<T>> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS + extraTimeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.#base}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      return networkFailure(err) as Exclude<SendOutcome, { ok: true }>;
    }
    const text = await res.text().catch(() => '');
    let answer: { ok?: boolean; result?: T; description?: string; parameters?: { retry_after?: number } } =
      {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // A proxy's HTML error page: the status says enough.
    }
    if (res.ok && answer.ok === true) return { ok: true, result: answer.result as T };
    const description = answer.description ?? (res.statusText || 'no description');
    return httpFailure(res.ok ? 400 : res.status, description, answer.parameters?.retry_after) as Exclude<
      SendOutcome,
      { ok: true }
    >;
  }
}
