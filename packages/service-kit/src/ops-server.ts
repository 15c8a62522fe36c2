/** The operations endpoints every service exposes: GET /healthz and GET /metrics (Prometheus text). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Health {
  readonly healthy: boolean;
  /** shown in the /healthz body, e.g. `{ mqtt: 'connected', store: 'ok' }` */
  readonly checks: Readonly<Record<string, unknown>>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  readonly health: () => Health;
  readonly logger: Logger;
  /**
   * A service's own routes beside the two (the notifier's silences API): returns true when it answers
   * the request, false to leave it to /healthz, /metrics or a 404.
   */
  readonly handle?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.handle?.(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      const health = options.health();
      res
        .writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: health.healthy ? 'ok' : 'unhealthy', ...health.checks }));
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        // A collect() that throws costs this scrape, not the service.
        (err: unknown) => {
          options.logger.error({ err }, 'could not collect the metrics');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n');
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ port }, 'serving /healthz and /metrics');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
