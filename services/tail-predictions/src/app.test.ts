import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTailPredictions, type TailSettings } from './app.ts';
import { jsonl, prediction, RecordingLog, RecordingOutput } from './testing/fixtures.ts';

const DAY = '2026-03-01';

function setUp(overrides: Partial<TailSettings> = {}, lines = 2) {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-tail-'));
  const file = join(dir, `predictions-${DAY}.jsonl`);
  const output = new RecordingOutput();
  const log = new RecordingLog();
  const tail = createTailPredictions(
    {
      source: 'log',
      log: { dir, date: DAY, lines, follow: true, pollMs: 10 },
      mqtt: { url: 'mqtt://127.0.0.1:1', clientIdPrefix: 'tail-test' },
      filter: { alertsOnly: false },
      json: false,
      color: false,
      ...overrides,
    },
    { output, log: log.log },
  );
  return { dir, file, output, log, tail };
}

describe('tail-predictions on the prediction log', () => {
  it('starts with the last rows that pass the filters, then shows matching rows as they are appended', async () => {
    const t = setUp({ filter: { pumps: ['pump-0004*'], alertsOnly: false } });
    writeFileSync(
      t.file,
      jsonl(
        prediction({ pump_id: 'pump-00041', seq: 1 }),
        prediction({ pump_id: 'pump-00042', seq: 2 }),
        prediction({ pump_id: 'pump-00043', seq: 3 }),
        prediction({ pump_id: 'pump-00001', seq: 4 }),
      ),
    );
    try {
      expect(await t.tail.start()).toBe('following');
      await t.output.waitForLines(2);
      appendFileSync(
        t.file,
        jsonl(prediction({ pump_id: 'pump-00002' }), prediction({ pump_id: 'pump-00049' })),
      );
      await t.output.waitForLines(3);
    } finally {
      await t.tail.stop();
    }
    expect(t.output.lines.map((l) => l.split(/ +/)[1])).toEqual(['pump-00042', 'pump-00043', 'pump-00049']);
  });

  it('reports each invalid line once on stderr and goes on', async () => {
    const t = setUp({}, 10);
    writeFileSync(t.file, `${jsonl(prediction({ seq: 1 }))}oops\n`);
    try {
      await t.tail.start();
      await t.output.waitForLines(1);
      appendFileSync(t.file, `{"pump_id":"pump-00042"}\n${jsonl(prediction({ seq: 3 }))}`);
      await t.output.waitForLines(2);
    } finally {
      await t.tail.stop();
    }
    const skipped = t.log.entries.filter((e) => e.msg === 'skipped an invalid row');
    expect(skipped.map((e) => [e.fields.reason, e.fields.sample])).toEqual([
      ['not_json', 'oops'],
      ['not_a_prediction', '{"pump_id":"pump-00042"}'],
    ]);
    expect(t.output.lines).toHaveLength(2);
  });

  it('prints the last rows and reports done with --no-follow, or missing when there is no file', async () => {
    const t = setUp({}, 1);
    writeFileSync(t.file, jsonl(prediction({ seq: 1 }), prediction({ seq: 2, state: 'WARNING' })));
    const withoutFollow = (s: ReturnType<typeof setUp>) =>
      createTailPredictions(
        {
          source: 'log',
          log: { dir: s.dir, date: DAY, lines: 1, follow: false, pollMs: 10 },
          mqtt: { url: 'mqtt://127.0.0.1:1', clientIdPrefix: 'tail-test' },
          filter: { alertsOnly: false },
          json: true,
          color: false,
        },
        { output: s.output, log: s.log.log },
      );
    expect(await withoutFollow(t).start()).toBe('done');
    expect(t.output.text).toBe(jsonl(prediction({ seq: 2, state: 'WARNING' })));

    const empty = setUp();
    expect(await withoutFollow({ ...empty, dir: join(empty.dir, 'nope') }).start()).toBe('missing');
    expect(empty.log.messages('warn')[0]).toMatch(/does not exist yet \(the inference service creates it\)$/);
  });
});
