import type { LabelledSample, TrainingSample } from '@pdm/contract';
import { FEATURE_COUNT, FeatureExtractor } from '@pdm/features';
import { describe, expect, it } from 'vitest';
import { classTargets, everyRow, SelectionSampler, zeroCounts } from './balance.ts';
import { ExportError } from './errors.ts';
import { labelledFleet } from './fixtures.ts';
import { rowFormat } from './format.ts';
import { type ChunkSink, writeTrainingRows } from './pipeline.ts';
import type { RowBatches } from './row-source.ts';

/** Samples in export order: by pump, then time. */
function byPump(samples: Iterable<TrainingSample>): TrainingSample[] {
  return [...samples].sort((a, b) => (a.pump_id < b.pump_id ? -1 : a.pump_id > b.pump_id ? 1 : a.ts - b.ts));
}

async function* batches(rows: Iterable<LabelledSample>): RowBatches {
  yield rows;
}

function collectingSink(): ChunkSink & { text(): string; lines(): number } {
  const chunks: Buffer[] = [];
  let lines = 0;
  return {
    write(chunk, written) {
      chunks.push(Buffer.from(chunk));
      for (const byte of chunk) if (byte === 10) lines++;
      written();
    },
    saturated: false,
    drained: async () => {},
    text: () => Buffer.concat(chunks).toString('utf8'),
    lines: () => lines,
  };
}

describe('export pass', () => {
  it('writes rows as it reads them, never holding more than one output chunk', async () => {
    const samples = byPump(labelledFleet({ pumps: 30, etaH: 400, maxSamples: 60_000 }));
    const sink = collectingSink();
    let widestGap = 0;
    function* watched(): Generator<LabelledSample> {
      for (const [i, sample] of samples.entries()) {
        widestGap = Math.max(widestGap, i - sink.lines());
        yield sample;
      }
    }
    await writeTrainingRows(batches(watched()), {
      sampler: new SelectionSampler(everyRow(), everyRow(), 1),
      format: rowFormat('csv'),
      sink,
    });
    expect(sink.lines()).toBe(samples.length);
    // a 1 MB chunk holds about 4,000 rows; a pass that buffered would lag by all 60,000
    expect(widestGap).toBeLessThan(6000);
  });

  it('feeds unlabelled samples into the feature windows but writes only labelled ones', async () => {
    const samples = byPump(labelledFleet({ pumps: 2, etaH: 20 }));
    // every third sample arrives as raw telemetry, without ground truth
    const rows: LabelledSample[] = samples.map((s, i) =>
      i % 3 === 0 ? { ...s, state: null, health_pct: null, rul_h: null, failure_mode: null } : s,
    );
    const sink = collectingSink();
    await writeTrainingRows(batches(rows), {
      sampler: new SelectionSampler(everyRow(), everyRow(), 1),
      format: rowFormat('jsonl'),
      sink,
    });
    const extractor = new FeatureExtractor();
    const expected: number[][] = [];
    for (const [i, s] of samples.entries()) {
      const features = new Float64Array(FEATURE_COUNT);
      extractor.push(s, features);
      if (i % 3 !== 0) expected.push([...features]);
    }
    const written = sink
      .text()
      .trimEnd()
      .split('\n')
      .map((line) => Object.values(JSON.parse(line) as Record<string, unknown>).slice(3, 3 + FEATURE_COUNT));
    expect(written).toEqual(expected);
  });

  it('leaves out a labelled sample that is not newer than its pump’s previous one, and says so', async () => {
    const [a, b, c] = byPump(labelledFleet({ pumps: 1, etaH: 20, maxSamples: 3 })) as [
      TrainingSample,
      TrainingSample,
      TrainingSample,
    ];
    const sink = collectingSink();
    const result = await writeTrainingRows(batches([a, b, { ...b }, c]), {
      sampler: new SelectionSampler(everyRow(), everyRow(), 1),
      format: rowFormat('csv'),
      sink,
    });
    expect(result).toEqual({ rows: 4, outOfOrder: 1 });
    expect(sink.lines()).toBe(3);
  });

  it('stops at its next checkpoint once aborted', async () => {
    const samples = byPump(labelledFleet({ pumps: 10, etaH: 400, maxSamples: 30_000 }));
    const abort = new AbortController();
    const counts = zeroCounts();
    for (const s of samples) counts[s.state]++;
    const pass = writeTrainingRows(batches(samples), {
      sampler: new SelectionSampler(counts, classTargets(counts, 'none'), 1),
      format: rowFormat('csv'),
      sink: collectingSink(),
      signal: abort.signal,
      onProgress: (rows) => {
        if (rows >= 10_000) abort.abort();
      },
    });
    await expect(pass).rejects.toThrow(ExportError);
    await expect(pass).rejects.toMatchObject({ code: 'aborted' });
  });
});
