/**
 * The page's one way to ask the server: GET JSON from /api/…, and when the server refuses (a 400 with its
 * problems, a 401, a 5xx), an ApiError that the views show as it is, problems included.
 */
import type { ErrorResponse } from '../src/api/contract.ts';
import { apiUrl, type Query } from './api-url.ts';
import { el } from './dom.ts';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** one line per problem, naming the parameter, as the server sent them */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), {
      headers: { accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(`the dashboard server cannot be reached (${(err as Error).message})`, 0);
  }
  if (response.ok) return (await response.json()) as T;
  const body = (await response.json().catch(() => undefined)) as Partial<ErrorResponse> | undefined;
  const problems = Array.isArray(body?.problems) ? body.problems.map(String) : [];
  const reason = typeof body?.error === 'string' ? body.error : response.statusText;
  throw new ApiError(`${response.status} ${reason}`, response.status, problems);
}

/** True for the rejection of a request the view itself cancelled (it was left): nothing to show. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** The error as the page shows it: what failed, and the server's problems one per line. */
export function errorBox(what: string, err: unknown): HTMLElement {
  const problems = err instanceof ApiError ? err.problems : [];
  return el(
    'div',
    { className: 'error', attrs: { role: 'alert' } },
    el('strong', { text: `${what}: ` }),
    err instanceof Error ? err.message : String(err),
    problems.length > 0 ? el('ul', {}, ...problems.map((p) => el('li', { text: p }))) : null,
  );
}
