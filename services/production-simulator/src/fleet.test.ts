import {
  encodeGatewayGroundTruth,
  groundTruthSchema,
  parseTopic,
  telemetrySchema,
  topics,
  validateGatewayGroundTruth,
} from '@pdm/contract';
import { DEFAULT_CHAOS_RATES, MODE_SETTINGS, modeLifetime } from '@pdm/pump-physics';
import { describe, expect, it } from 'vitest';
import { type FleetOptions, ProductionFleet, type PumpOutput } from './fleet.ts';

const base: FleetOptions = {
  pumps: 20,
  seed: 4,
  lifetime: modeLifetime('STRESS'),
  repairDowntimeS: MODE_SETTINGS.STRESS.repairDowntimeS,
  intervalS: 1,
  idPrefix: 'pump',
  chaos: undefined,
};

/** `rounds` samples of every pump, one second apart. */
function run(options: FleetOptions, rounds: number): PumpOutput[][] {
  const fleet = new ProductionFleet(options);
  const perPump: PumpOutput[][] = Array.from({ length: options.pumps }, () => []);
  for (let round = 0; round < rounds; round++) {
    for (let pump = 0; pump < options.pumps; pump++)
      perPump[pump]?.push(fleet.next(pump, 1_767_225_600_000 + round * 1000));
  }
  return perPump;
}

describe('production fleet (contract)', () => {
  it('sends telemetry without labels and the truth on its own topic, both valid, seq contiguous', () => {
    for (const outputs of run(base, 400)) {
      outputs.forEach((out, seq) => {
        const telemetry = JSON.parse(out.telemetry as string) as Record<string, unknown>;
        expect(telemetrySchema.parse(telemetry)).toEqual(telemetry);
        expect(Object.keys(telemetry)).not.toContain('state');
        expect(Object.keys(telemetry)).not.toContain('health_pct');
        const truth = groundTruthSchema.parse(JSON.parse(out.truth));
        expect([truth.seq, telemetry.seq, telemetry.ts]).toEqual([seq, seq, truth.ts]);
        expect(parseTopic(out.telemetryTopic)?.kind).toBe('telemetry');
        expect(parseTopic(out.truthTopic)?.kind).toBe('groundtruth');
      });
    }
  });

  it('gives a gateway row the same ground truth, chaos marks included, that a pump’s own topic would carry', () => {
    const options = { ...base, chaos: DEFAULT_CHAOS_RATES };
    const perPump = run(options, 300);
    const fleet = new ProductionFleet(options);
    const topic = topics.gateway_groundtruth('gw-1');
    let chaotic = 0;
    for (let round = 0; round < 300; round++) {
      const ts = 1_767_225_600_000 + round * 1000;
      const rows = Array.from({ length: options.pumps }, (_, pump) => fleet.nextRow(pump, ts).truthRow);
      const verdict = validateGatewayGroundTruth(
        topic,
        Buffer.from(encodeGatewayGroundTruth('gw-1', ts, rows)),
      );
      if (!verdict.ok) throw new Error(verdict.detail);
      expect(verdict.rejected).toEqual([]);
      const own = perPump.map((outputs) => groundTruthSchema.parse(JSON.parse(outputs[round]?.truth ?? '')));
      expect(verdict.samples).toEqual(own);
      chaotic += own.filter((t) => t.chaos.length > 0).length;
    }
    expect(chaotic).toBeGreaterThan(0);
  });

  it('repairs broken pumps after the downtime, so lifecycles follow each other', () => {
    const truths = run(base, 600).map((outputs) =>
      outputs.map((o) => groundTruthSchema.parse(JSON.parse(o.truth))),
    );
    const lifecycles = truths.map((t) => (t.at(-1)?.lifecycle ?? 0) + 1);
    // 600 s at a mean life of 150 s plus 15 s downtime: several lifecycles per pump.
    expect(lifecycles.reduce((a, b) => a + b, 0) / lifecycles.length).toBeGreaterThan(2.5);
    for (const pump of truths) {
      pump.forEach((t, i) => {
        const previous = pump[i - 1];
        if (previous && t.lifecycle !== previous.lifecycle) {
          expect(previous.state).toBe('BROKEN');
          expect(t.state).toBe('HEALTHY');
          expect(t.lifecycle).toBe(previous.lifecycle + 1);
        }
      });
      const brokenRun = pump.filter((t) => t.lifecycle === 0 && t.health_pct === 0).length;
      if (pump.some((t) => t.lifecycle > 0))
        expect(brokenRun).toBeGreaterThanOrEqual(MODE_SETTINGS.STRESS.repairDowntimeS);
    }
  });

  it('marks every chaos event in the truth; only dropouts leave gaps, only malformed payloads fail validation', () => {
    const chaos = { ...DEFAULT_CHAOS_RATES, glitch: 0.02, dropout: 0.01, malformed: 0.01 };
    let malformed = 0;
    let dropped = 0;
    for (const outputs of run({ ...base, chaos }, 400)) {
      for (const out of outputs) {
        const truth = groundTruthSchema.parse(JSON.parse(out.truth));
        expect(truth.chaos).toEqual(out.chaos);
        if (truth.chaos.includes('dropout')) {
          expect(out.telemetry).toBeUndefined();
          dropped += 1;
          continue;
        }
        let valid = false;
        try {
          valid = telemetrySchema.safeParse(JSON.parse(out.telemetry as string)).success;
        } catch {}
        expect(valid).toBe(!truth.chaos.includes('malformed'));
        if (!valid) malformed += 1;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(malformed).toBeGreaterThan(0);
  });

  it('keeps chaos off the physics: the truth is the same with and without chaos', () => {
    const clean = run(base, 200)
      .flat()
      .map((o) => JSON.parse(o.truth) as Record<string, unknown>);
    const chaotic = run({ ...base, chaos: DEFAULT_CHAOS_RATES }, 200)
      .flat()
      .map((o) => JSON.parse(o.truth) as Record<string, unknown>);
    expect(chaotic.map(({ chaos: _, ...t }) => t)).toEqual(clean.map(({ chaos: _, ...t }) => t));
  });
});
