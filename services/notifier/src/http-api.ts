/**
 * The notifier's HTTP API beside /healthz and /metrics: silences (list, create, expire). JSON in and out; a bad request gets a 400 with every problem by field.
 *
 *   GET    /api/silences[?all=true]   active silences (all with ?all=true)
 *   POST   /api/silences              {"pattern","duration"|"ends_at","comment","created_by"?} → 201
 *   DELETE /api/silences/<id>         expires it now → 204 (404 when no such active silence)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import type { NotifierDb } from './db.ts';
import { createSilence, problemsOf, silenceJson, silenceRequestSchema } from './silences.ts';

const MAX_BODY_BYTES = 16 * 1024;

export function silencesApi(db: NotifierDb, clock: Clock) {
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (path !== '/api/silences' && !path.startsWith('/api/silences/')) return false;
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    const now = clock.now();
    const id = path.slice('/api/silences/'.length);
    if (path === '/api/silences' && req.method === 'GET') {
      const all = new URL(req.url ?? '/', 'http://x').searchParams.get('all') === 'true';
      json(200, { silences: db.silences(now, { all }).map((s) => silenceJson(s, now)) });
    } else if (path === '/api/silences' && req.method === 'POST') {
      readBody(req).then(
        (text): void => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (err) {
            json(400, { problems: [`(body): not JSON: ${(err as Error).message}`] });
            return;
          }
          const parsed = silenceRequestSchema.safeParse(body);
          if (!parsed.success) {
            json(400, { problems: problemsOf(parsed.error) });
            return;
          }
          const silence = createSilence(db, parsed.data, clock.now());
          if ('problem' in silence) json(400, { problems: [silence.problem] });
          else json(201, silenceJson(silence, clock.now()));
        },
        (err: Error) => json(413, { problems: [err.message] }),
      );
    } else if (/^\d{1,15}$/.test(id) && req.method === 'DELETE') {
      if (db.expireSilence(Number(id), now)) res.writeHead(204).end();
      else json(404, { problems: [`no active silence ${id}`] });
    } else {
      json(405, { problems: ['GET or POST /api/silences, DELETE /api/silences/<id>'] });
    }
    return true;
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}
