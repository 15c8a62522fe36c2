/**
 * A webhook endpoint as a careful receiver writes one, for tests: it checks each POST's HMAC-SHA256
 * signature over `<timestamp>.<body>` (the `X-PDM-Signature` and `X-PDM-Timestamp` headers) and the
 * timestamp's age, answers 401 to a forgery or a replay of an old request, and records every delivery
 * with its `Idempotency-Key`. It can also fail, or hold a request unanswered (a delivery in flight).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForLength } from './wait-for-length.ts';

export interface WebhookDelivery {
  readonly idempotencyKey: string | undefined;
  readonly timestamp: string | undefined;
  readonly body: Record<string, unknown>;
  readonly rawBody: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface WebhookReceiverOptions {
  readonly secret: string;
  /** how old a signed timestamp may be, seconds; older is a replay */
  readonly toleranceS?: number;
  /** the receiver's clock, epoch ms; default Date.now */
  readonly now?: () => number;
}

export interface WebhookReceiver {
  readonly url: string;
  /** signed deliveries that were accepted (answered 2xx, or held) */
  readonly deliveries: WebhookDelivery[];
  /** requests refused for a bad or missing signature, or a stale timestamp */
  readonly refused: { readonly reason: string }[];
  /** the next `count` valid requests are answered with `status` */
  failNext(count: number, status: number): void;
  /** valid requests from now on are recorded but not answered until release() (or close) */
  hold(): void;
  release(): void;
  waitForDeliveries(count: number, timeoutMs?: number): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}

/** The signature a receiver expects: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const toleranceS = options.toleranceS ?? 300;
  const now = options.now ?? Date.now;
  const deliveries: WebhookDelivery[] = [];
  const refused: { reason: string }[] = [];
  const held = new Set<ServerResponse>();
  const watchers = new Set<() => void>();
  let failures = { count: 0, status: 500 };
  let holding = false;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString();
      const timestamp = header(req.headers['x-pdm-timestamp']);
      const signature = header(req.headers['x-pdm-signature']);
      const reason =
        timestamp === undefined || signature === undefined
          ? 'unsigned'
          : !sameText(signature, webhookSignature(options.secret, timestamp, rawBody))
            ? 'bad signature'
            : Math.abs(now() / 1000 - Number(timestamp)) > toleranceS
              ? 'stale timestamp'
              : undefined;
      if (reason) {
        refused.push({ reason });
        res.writeHead(401).end(reason);
        return;
      }
      if (failures.count > 0) {
        failures.count -= 1;
        res.writeHead(failures.status).end('failing on purpose');
        return;
      }
      deliveries.push({
        idempotencyKey: header(req.headers['idempotency-key']),
        timestamp,
        body: JSON.parse(rawBody) as Record<string, unknown>,
        rawBody,
        headers: req.headers,
      });
      for (const w of [...watchers]) w();
      if (holding) held.add(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    holding = false;
    for (const res of held) if (!res.destroyed) res.writeHead(204).end();
    held.clear();
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    refused,
    failNext(count, status) {
      failures = { count, status };
    },
    hold() {
      holding = true;
    },
    release,
    waitForDeliveries: (count, timeoutMs = 30_000) =>
      waitForLength(deliveries, count, timeoutMs, watchers, 'deliveries at the webhook receiver'),
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
