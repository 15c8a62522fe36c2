/** A Server-Sent Events client for tests and benchmarks: reads the stream with fetch, parses each event. */

export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

export interface EventStream {
  readonly status: number;
  readonly headers: Headers;
  /** every event so far */
  readonly events: ServerEvent[];
  /** the first event (from the start of the stream) named `event` whose parsed data passes `match` */
  next<T = unknown>(event: string, match?: (data: T) => boolean, timeoutMs?: number): Promise<T>;
  /** resolves when the server ends the stream */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: ServerEvent[] = [];
  const watchers = new Set<() => void>();
  let finished = false;
  const ended = (async () => {
    if (!response.body) {
      finished = true;
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const parsed = parseEvent(block);
          if (parsed) events.push(parsed);
          end = buffer.indexOf('\n\n');
        }
        for (const w of watchers) w();
      }
    } catch {
      // aborted by close(), or the connection dropped: the stream has ended either way
    }
    finished = true;
    for (const w of watchers) w();
  })();

  return {
    status: response.status,
    headers: response.headers,
    events,
    ended,
    close: () => abort.abort(),
    next<T>(event: string, match: (data: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
      let scanned = 0;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(
              `no ${event} event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          for (; scanned < events.length; scanned++) {
            const e = events[scanned] as ServerEvent;
            if (e.event !== event) continue;
            const data = JSON.parse(e.data) as T;
            if (!match(data)) continue;
            clearTimeout(timer);
            watchers.delete(check);
            return resolve(data);
          }
          if (finished) {
            clearTimeout(timer);
            watchers.delete(check);
            reject(new Error(`the stream ended before a ${event} event`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

function parseEvent(block: string): ServerEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}
