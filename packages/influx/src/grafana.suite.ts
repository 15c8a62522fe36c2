/**
 * The Grafana dashboards' queries as shared tests: grafana-queries.test.ts runs them against the fake
 * InfluxDB, influx.contract.test.ts against a real one, and deploy/grafana against the fake with the data
 * stored by acquisition itself, from MQTT. The data are three pumps of this run at a random whole minute
 * two to six days back, stored once (by default as acquisition writes them: line-protocol.ts's encoders
 * through the writer); each query is then run as Grafana runs it (testing/grafana.ts) and its frames
 * compared with what its panel shows.
 *
 * The fleet-wide aggregates (states, rates, model version, accuracy) count every pump in the minute, so
 * against a real server the bucket must hold nothing else then: use a bucket for tests, as the README says.
 */
import { randomUUID } from 'node:crypto';
import {
  ALERT_KINDS,
  type Alert,
  CHANNELS,
  type LabelledSample,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
} from '@pdm/contract';
import { beforeAll, expect, it } from 'vitest';
import {
  ALARM_TABLE_COLUMNS,
  alertTimelineFlux,
  fleetStateCountsFlux,
  GRAFANA_COLUMNS,
  GRAFANA_QUERIES,
  lastPredictionAgeFlux,
  liveAccuracyFlux,
  modelVersionFlux,
  PUMP_VARIABLE,
  predictionsPerSecondFlux,
  pumpAlertsFlux,
  pumpChannelFlux,
  pumpIdsFlux,
  pumpProbabilitiesFlux,
  pumpRulFlux,
  pumpStatesFlux,
  pumpsInAlarmFlux,
  samplesPerSecondFlux,
} from './grafana-queries.ts';
import type { InfluxTarget } from './http.ts';
import { ALERT_KIND_TAG, encodeSample, RUL_FIELD, TAG } from './line-protocol.ts';
import { alert, alertLine, prediction, predictionLine, sample } from './testing/fixtures.ts';
import { type GrafanaFrame, type GrafanaQueryContext, runGrafanaQuery } from './testing/grafana.ts';
import { createInfluxWriter } from './writer.ts';

export interface GrafanaSuite {
  /** every pump id the tests wrote, for a cleanup against a shared bucket */
  readonly pumpIds: ReadonlySet<string>;
}

/** What the suite stores before its tests, however it is stored. */
export interface GrafanaSuiteData {
  /** telemetry; a sample with `state` is labelled: it carries its ground truth */
  readonly samples: readonly LabelledSample[];
  readonly predictions: readonly Prediction[];
  readonly alerts: readonly Alert[];
}

/** Stores the suite's data in `target`, and resolves once all of it can be read. */
export type GrafanaSuiteStore = (target: InfluxTarget, data: GrafanaSuiteData) => Promise<void>;

/** The default: the lines acquisition's forwarder sends, through the same writer. */
async function writeAsAcquisition(target: InfluxTarget, data: GrafanaSuiteData): Promise<void> {
  const lines = [
    ...data.samples.map(encodeSample),
    ...data.predictions.map(predictionLine),
    ...data.alerts.map(alertLine),
  ];
  expect(await createInfluxWriter({ ...target, timeoutMs: 10_000 }).write(lines)).toEqual({ kind: 'ok' });
}

const SECOND = 1000;
const WINDOW_MS = 10 * SECOND;

export function grafanaSuite(
  target: () => InfluxTarget,
  store: GrafanaSuiteStore = writeAsAcquisition,
): GrafanaSuite {
  const run = `gf-${randomUUID().slice(0, 8)}`;
  const a = `${run}-a`;
  const b = `${run}-b`;
  const c = `${run}-c`;
  const pumpIds = new Set([a, b, c]);
  const minutes = 2 * 1440 + Math.floor(Math.random() * 4 * 1440);
  const T = Math.floor(Date.now() / 60_000) * 60_000 - minutes * 60_000;
  const v1 = `${run}-v1`;
  const v2 = `${run}-v2`;
  const ran = new Set<string>();

  // Pumps a and b: a sample and a prediction each second for 20 s, the model changing from v1 to v2 at
  // 10 s. Pump a has ground truth (HEALTHY, then FAULTY from 10 s), predicted HEALTHY for 10 s, then
  // FAULTY for 5 s and WARNING for 5 s; b is predicted HEALTHY throughout. Pump c: one BROKEN
  // prediction at 5 s and its alarm. Pump a raises an alarm, a rul_low and a recovery.
  const seconds = Array.from({ length: 20 }, (_, i) => i);
  const stateOfA = (i: number) => (i < 10 ? 'HEALTHY' : i < 15 ? 'FAULTY' : 'WARNING');
  const rulOfA = (i: number) => 100 - i / 4;
  const predictionsOf = (
    pump: string,
    state: (i: number) => Prediction['state'],
    extra = (_i: number) => ({}),
  ) =>
    seconds.map((i) =>
      prediction(pump, T + i * SECOND, { state: state(i), model_version: i < 10 ? v1 : v2, ...extra(i) }),
    );
  const predictions = [
    // a is scored by a RUL model too: its predictions carry rul_h
    ...predictionsOf(a, stateOfA, (i) => ({ rul_h: rulOfA(i), rul_model_version: `${run}-rul` })),
    ...predictionsOf(b, () => 'HEALTHY'),
    prediction(c, T + 5 * SECOND, { state: 'BROKEN', model_version: v1 }),
  ];
  // labelled as the training topic carries them: the whole ground truth
  const samplesOfA = seconds.map((i) =>
    sample(a, T + i * SECOND, {
      state: i < 10 ? 'HEALTHY' : 'FAULTY',
      health_pct: 50,
      rul_h: 1000 - i,
      failure_mode: 'BEARING_WEAR',
    }),
  );
  const alerts: Alert[] = [
    alert(c, T + 5 * SECOND, { state: 'BROKEN', previous_state: 'HEALTHY', model_version: v1 }),
    alert(a, T + 10 * SECOND, { state: 'FAULTY', previous_state: 'HEALTHY', model_version: v2 }),
    alert(a, T + 12 * SECOND, {
      kind: 'rul_low',
      state: 'FAULTY',
      previous_state: 'FAULTY',
      model_version: v2,
    }),
    alert(a, T + 15 * SECOND, {
      kind: 'recovered',
      state: 'WARNING',
      previous_state: 'FAULTY',
      model_version: v2,
    }),
  ];

  beforeAll(async () => {
    await store(target(), {
      samples: [...samplesOfA, ...seconds.map((i) => sample(b, T + i * SECOND))],
      predictions,
      alerts,
    });
    // a store may start a service and wait for it, on a loaded machine
  }, 120_000);

  /** The 20 s of data, in two 10 s windows; "now" 30 s after the first point. */
  const range: GrafanaQueryContext = {
    fromMs: T,
    toMs: T + 20 * SECOND,
    intervalMs: WINDOW_MS,
    nowMs: T + 30 * SECOND,
    variables: { [PUMP_VARIABLE]: a },
  };
  const query = (flux: string, context: Partial<GrafanaQueryContext> = {}) => {
    ran.add(flux);
    return runGrafanaQuery(target(), flux, { ...range, ...context });
  };
  const mine = (frames: readonly GrafanaFrame[]) =>
    frames.flatMap((f) => f.rows).filter((r) => pumpIds.has(r[TAG] as string));
  const W1 = T + WINDOW_MS;
  const W2 = T + 2 * WINDOW_MS;

  it('Fleet: counts the pumps per smoothed state in each window, by each pump’s last state in it', async () => {
    const frames = await query(fleetStateCountsFlux());
    expect(frames).toHaveLength(1);
    const rows = frames[0]?.rows.map((r) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)),
    );
    expect(rows).toEqual([
      { _time: W1, HEALTHY: 2, BROKEN: 1 },
      { _time: W2, HEALTHY: 1, WARNING: 1 },
    ]);
  });

  it('Fleet: lists the pumps whose latest prediction is FAULTY or BROKEN, with the table’s columns', async () => {
    const rows = mine(await query(pumpsInAlarmFlux()));
    const broken = predictions.at(-1) as Prediction;
    expect(rows).toEqual([
      {
        _time: broken.ts,
        ...Object.fromEntries(
          ALARM_TABLE_COLUMNS.map((column) => [column, broken[column as keyof Prediction]]),
        ),
      },
    ]);
  });

  it('Fleet: shows every alert on a timeline per pump, its kind the value', async () => {
    const frames = (await query(alertTimelineFlux())).filter((f) => pumpIds.has(f.key[TAG] as string));
    expect(frames.map((f) => f.key)).toEqual([{ [TAG]: a }, { [TAG]: c }]);
    expect(frames.map((f) => f.rows)).toEqual([
      alerts.slice(1).map((x) => ({ _time: x.ts, [ALERT_KIND_TAG]: x.kind })),
      [{ _time: T + 5 * SECOND, [ALERT_KIND_TAG]: 'alarm' }],
    ]);
    expect(new Set(alerts.map((x) => x.kind))).toEqual(new Set(ALERT_KINDS));
  });

  it('Fleet: gives the age of each pump’s last prediction in seconds, the oldest first', async () => {
    const rows = mine(await query(lastPredictionAgeFlux()));
    expect(rows[0]).toEqual({ _time: T + 5 * SECOND, [TAG]: c, [GRAFANA_COLUMNS.ageS]: 25 });
    expect(rows.slice(1).sort((x, y) => String(x[TAG]).localeCompare(String(y[TAG])))).toEqual([
      { _time: T + 19 * SECOND, [TAG]: a, [GRAFANA_COLUMNS.ageS]: 11 },
      { _time: T + 19 * SECOND, [TAG]: b, [GRAFANA_COLUMNS.ageS]: 11 },
    ]);
  });

  it('Pump: offers every pump with predictions as the pump_id variable’s values', async () => {
    const frames = await query(pumpIdsFlux());
    const values = frames.flatMap((f) => f.rows.map((r) => r._value)).filter((v) => pumpIds.has(v as string));
    expect(values).toEqual([a, b, c]);
  });

  it('Pump: reads each of the nine channels of the chosen pump, the mean of each window', async () => {
    for (const channel of CHANNELS) {
      const frames = await query(pumpChannelFlux(channel));
      expect(frames.map((f) => f.key)).toEqual([{ _field: channel }]);
      const mean = (from: number) =>
        samplesOfA.slice(from, from + 10).reduce((sum, s) => sum + s[channel], 0) / 10;
      const rows = frames[0]?.rows ?? [];
      expect(rows.map((r) => r._time)).toEqual([W1, W2]);
      expect(rows[0]?._value).toBeCloseTo(mean(0), 9);
      expect(rows[1]?._value).toBeCloseTo(mean(10), 9);
    }
  });

  it('Pump: reads the smoothed and raw states of the chosen pump, each window’s last', async () => {
    const frames = await query(pumpStatesFlux());
    expect(frames).toEqual([
      { key: { _field: 'raw_state' }, rows: [W1, W2].map((t) => ({ _time: t, _value: 'FAULTY' })) },
      {
        key: { _field: 'state' },
        rows: [
          { _time: W1, _value: 'HEALTHY' },
          { _time: W2, _value: 'WARNING' },
        ],
      },
    ]);
  });

  it('Pump: reads the class probabilities of the chosen pump, a series per state', async () => {
    const frames = await query(pumpProbabilitiesFlux());
    const probabilities = (predictions[0] as Prediction).probabilities;
    expect(frames.map((f) => f.key._field)).toEqual(PUMP_STATES.map((s) => PROBABILITY_FIELDS[s]).sort());
    for (const frame of frames) {
      const state = PUMP_STATES.find(
        (s) => PROBABILITY_FIELDS[s] === frame.key._field,
      ) as Prediction['state'];
      expect(frame.rows).toEqual([W1, W2].map((t) => ({ _time: t, _value: probabilities[state] })));
    }
  });

  it('Pump: reads the remaining useful life of the chosen pump, in hours', async () => {
    const frames = await query(pumpRulFlux());
    expect(frames.map((f) => f.key)).toEqual([{ _field: RUL_FIELD }]);
    const mean = (from: number) => seconds.slice(from, from + 10).reduce((s, i) => s + rulOfA(i), 0) / 10;
    expect(frames[0]?.rows.map((r) => r._time)).toEqual([W1, W2]);
    expect(frames[0]?.rows[0]?._value).toBeCloseTo(mean(0), 9);
    expect(frames[0]?.rows[1]?._value).toBeCloseTo(mean(10), 9);
  });

  it('Pump: gives the chosen pump’s alerts as annotations with a text', async () => {
    const frames = await query(pumpAlertsFlux());
    expect(frames.flatMap((f) => f.rows)).toEqual([
      {
        _time: T + 10 * SECOND,
        [ALERT_KIND_TAG]: 'alarm',
        [GRAFANA_COLUMNS.text]: 'alarm: HEALTHY → FAULTY',
      },
      {
        _time: T + 12 * SECOND,
        [ALERT_KIND_TAG]: 'rul_low',
        [GRAFANA_COLUMNS.text]: 'rul_low: FAULTY → FAULTY',
      },
      {
        _time: T + 15 * SECOND,
        [ALERT_KIND_TAG]: 'recovered',
        [GRAFANA_COLUMNS.text]: 'recovered: FAULTY → WARNING',
      },
    ]);
  });

  it('Pipeline: counts the samples stored per second over the fleet', async () => {
    const frames = await query(samplesPerSecondFlux());
    expect(frames.flatMap((f) => f.rows)).toEqual([
      { _time: W1, [GRAFANA_COLUMNS.samplesPerS]: 2 },
      { _time: W2, [GRAFANA_COLUMNS.samplesPerS]: 2 },
    ]);
  });

  it('Model: counts the predictions per second by smoothed state', async () => {
    const frames = await query(predictionsPerSecondFlux());
    const rows = frames
      .flatMap((f) => f.rows)
      .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)));
    // c's one prediction in the first window: 21 predictions in 10 s
    expect(rows).toEqual([
      { _time: W1, HEALTHY: 2, BROKEN: 0.1 },
      { _time: W2, HEALTHY: 1, FAULTY: 0.5, WARNING: 0.5 },
    ]);
  });

  it('Model: shows the model version that served in each window', async () => {
    const frames = await query(modelVersionFlux());
    expect(frames.flatMap((f) => f.rows)).toEqual([
      { _time: W1, model_version: v1 },
      { _time: W2, model_version: v2 },
    ]);
  });

  it('Model: scores the smoothed state against the stored ground truth, per window', async () => {
    const frames = await query(liveAccuracyFlux());
    // pump a only: b's samples carry no ground truth
    expect(frames.flatMap((f) => f.rows)).toEqual([
      { _time: W1, [GRAFANA_COLUMNS.accuracy]: 1 },
      { _time: W2, [GRAFANA_COLUMNS.accuracy]: 0.5 },
    ]);
  });

  it('runs every query the dashboards hold', () => {
    expect([...GRAFANA_QUERIES].filter((q) => !ran.has(q))).toEqual([]);
  });

  return { pumpIds };
}
