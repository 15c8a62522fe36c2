/**
 * Inference's predictions and alerts stored by acquisition, against a real Mosquitto and a real SQLite
 * file (and the fake InfluxDB for STORE=influxdb): the same guarantees as telemetry.
 */
import { type Alert, clipTopic, type Prediction, topics } from '@pdm/contract';
import { ALERT_MEASUREMENT, PREDICTION_MEASUREMENT } from '@pdm/influx';
import { SampleStore } from '@pdm/store';
import { alert, MODEL, prediction, RUL_MODEL, recovery, rulLow, rulPrediction, T0 } from '@pdm/store/testing';
import { type RunningService, startFakeInflux, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  brokerForFile,
  metricsOf,
  storePath,
  waitForCount,
  waitForMetrics,
} from './testing/acquisition-run.ts';

const broker = brokerForFile();

function acquisition(clientId: string, args: string[] = [], env: Record<string, string> = {}, cwd?: string) {
  const service = startService(
    'acquisition',
    ['--http-port', '0', ...args],
    { MQTT_URL: broker.url, MQTT_CLIENT_ID: clientId, ...env },
    cwd ? { cwd } : {},
  );
  return broker.track(service);
}

async function publisher(clientId: string) {
  return mqtt.connectAsync(broker.url, { clientId, protocolVersion: 5 });
}

type Publisher = Awaited<ReturnType<typeof publisher>>;

/** Publishes with QoS 1, up to 500 unacknowledged at once; resolves when the broker has every one. */
async function publishAll(client: Publisher, messages: readonly (Prediction | Alert)[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 500) {
    await Promise.all(
      messages.slice(i, i + 500).map((m) => {
        const topic = 'kind' in m ? topics.alerts(m.pump_id) : topics.predictions(m.pump_id);
        return client.publishAsync(topic, JSON.stringify(m), { qos: 1 });
      }),
    );
  }
}

function read<T>(service: RunningService, reader: (store: SampleStore) => T): T {
  const store = SampleStore.open(storePath(service), { readonly: true });
  try {
    return reader(store);
  } finally {
    store.close();
  }
}

const S = 1000;

describe('acquisition stores predictions and alerts', () => {
  it('stores each prediction and alert once, a redelivered or re-predicted copy as a counted duplicate', async () => {
    const acq = acquisition('acq-pred-1');
    await acq.waitForLine(/"subscribed"/);
    // p-b's predictions come with a remaining useful life: a RUL model serves beside the state model
    const predictions = ['p-a', 'p-b'].flatMap((pump) =>
      [0, 1, 2].map((i) => {
        const state = i === 2 ? 'FAULTY' : 'HEALTHY';
        return pump === 'p-b'
          ? rulPrediction(pump, T0 + i * S, 9 - i, { state })
          : prediction(pump, T0 + i * S, { state });
      }),
    );
    const alarm = alert('p-b', T0 + 2 * S);
    const recovered = recovery('p-b', T0 + 2 * S);
    const low = rulLow('p-b', T0 + S, 8);
    const client = await publisher('pred-publisher-1');
    try {
      await publishAll(client, [...predictions, alarm, recovered, low]);
      // the broker redelivers, and inference predicts p-a's first sample again after a crash
      await publishAll(client, [predictions[0] as Prediction, alarm, low]);
      await publishAll(client, [{ ...(predictions[0] as Prediction), latency_ms: 99.5 }]);
    } finally {
      await client.endAsync();
    }
    // the last message published is the re-predicted copy: once it is counted, all of them are
    const metrics = await waitForMetrics(acq, /^pdm_acquisition_predictions_duplicates_total 2$/m);
    expect(metrics).toContain('pdm_acquisition_received_total{kind="predictions"} 8');
    expect(metrics).toContain('pdm_acquisition_received_total{kind="alerts"} 5');
    expect(metrics).toMatch(/^pdm_acquisition_predictions_stored_total 6$/m);
    expect(metrics).toMatch(/^pdm_acquisition_predictions_duplicates_total 2$/m);
    expect(metrics).toMatch(/^pdm_acquisition_alerts_stored_total 3$/m);
    expect(metrics).toMatch(/^pdm_acquisition_alerts_duplicates_total 2$/m);

    read(acq, (store) => {
      expect([...store.iteratePredictions('p-a', T0, T0 + 10 * S)]).toStrictEqual(predictions.slice(0, 3));
      expect([...store.iteratePredictions('p-b', T0, T0 + 10 * S)]).toStrictEqual(predictions.slice(3));
      expect(store.latestPredictions().map((p) => [p.pump_id, p.state, p.rul_h])).toEqual([
        ['p-a', 'FAULTY', undefined],
        ['p-b', 'FAULTY', 7],
      ]);
      expect(store.alerts({ pumpId: 'p-b', limit: 10 })).toEqual(
        expect.arrayContaining([alarm, recovered, low]),
      );
      expect(store.alerts({ kind: 'rul_low', limit: 10 })).toStrictEqual([low]);
      expect(store.modelVersions()).toEqual([{ version: MODEL, firstSeen: T0, lastSeen: T0 + 2 * S }]);
      expect(store.modelVersions('regression')).toEqual([
        { version: RUL_MODEL, firstSeen: T0, lastSeen: T0 + 2 * S },
      ]);
    });
  });

  it('dead-letters a malformed, oversized, NaN or wrong-typed prediction with its reason, and stores the next good one', async () => {
    const acq = acquisition('acq-pred-2');
    await acq.waitForLine(/"subscribed"/);
    const good = prediction('p-bad', T0);
    const json = JSON.stringify(good);
    const topic = topics.predictions('p-bad');
    const bad: [string, string, string][] = [
      ['not JSON', topic, 'pump is fine'],
      ['truncated', topic, json.slice(0, 40)],
      ['NaN literal', topic, json.replace('"vibration_rms":2.417', '"vibration_rms":NaN')],
      ['latency as a string', topic, json.replace('"latency_ms":3.41', '"latency_ms":"3.41"')],
      ['no model version', topic, JSON.stringify({ ...good, model_version: undefined })],
      ['unknown state', topic, JSON.stringify({ ...good, state: 'DEAD' })],
      ['probability above 1', topic, JSON.stringify({ ...good, probabilities: { HEALTHY: 1.5 } })],
      ['negative RUL', topic, JSON.stringify({ ...good, rul_h: -0.5, rul_model_version: RUL_MODEL })],
      ['another pump', topic, JSON.stringify({ ...good, pump_id: 'p-other' })],
      ['oversized', topic, JSON.stringify({ ...good, padding: 'x'.repeat(20_000) })],
      [
        'alert without evidence',
        topics.alerts('p-bad'),
        JSON.stringify({ ...alert('p-bad', T0), evidence: {} }),
      ],
    ];
    const reasons = [
      'not_json',
      'truncated',
      'non_finite',
      'wrong_type',
      'missing_field',
      'invalid_value',
      'out_of_range',
      'out_of_range',
      'pump_mismatch',
      'oversized',
      'wrong_type',
    ];
    const client = await publisher('pred-publisher-2');
    try {
      for (const [i, [, t, payload]] of bad.entries()) {
        await client.publishAsync(t, payload, { qos: 1 });
        // the next good one after each bad one
        await publishAll(client, [prediction('p-bad', T0 + i * S)]);
      }
    } finally {
      await client.endAsync();
    }
    await waitForCount(storePath(acq), (s) => s.countPredictions(), bad.length, 'predictions', acq);
    const letters = await (async () => {
      for (;;) {
        const found = read(acq, (store) => store.deadLetters());
        if (found.length >= bad.length) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(letters.map((l) => l.reason)).toEqual(reasons);
    for (const [i, [name, t, payload]] of bad.entries()) {
      expect(letters[i]?.topic, name).toBe(clipTopic(t));
      expect(letters[i]?.payloadBytes, name).toBe(Buffer.byteLength(payload));
    }
    const metrics = await metricsOf(acq);
    expect(metrics).toContain('pdm_acquisition_invalid_total{reason="wrong_type"} 2');
    expect(metrics).toContain('pdm_acquisition_received_total{kind="invalid"} 11');
    expect(read(acq, (s) => s.countPredictions())).toBe(bad.length);
    expect(acq.child.exitCode).toBeNull();
  });

  it('loses no acknowledged prediction or alert when killed with SIGKILL twice mid-stream', async () => {
    const env = { SQLITE_DURABILITY: 'normal' };
    let acq = acquisition('acq-pred-kill', [], env);
    const cwd = acq.cwd;
    const path = storePath(acq);
    await acq.waitForLine(/"subscribed"/);
    const pumps = Array.from({ length: 40 }, (_, i) => `kill-${i}`);
    const messages: (Prediction | Alert)[] = [];
    for (let step = 0; step < 400; step++) {
      for (const pump of pumps) {
        messages.push(prediction(pump, T0 + step * S, { seq: step }));
        if (step % 50 === 49) messages.push(alert(pump, T0 + step * S, { seq: step }));
      }
    }
    const alerts = messages.filter((m) => 'kind' in m).length;
    const predictions = messages.length - alerts;
    const client = await publisher('pred-kill-publisher');
    try {
      const publishing = publishAll(client, messages);
      for (let kill = 0; kill < 2; kill++) {
        await waitForCount(path, (s) => s.countPredictions(), 1 + (kill + 1) * 2500, 'predictions', acq);
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
        acq.signal('SIGKILL');
        await acq.exited;
        acq = acquisition('acq-pred-kill', [], env, cwd);
      }
      // every publish acknowledged by the broker: acquisition must end up with each one
      await publishing;
    } finally {
      await client.endAsync();
    }
    expect(await waitForCount(path, (s) => s.countPredictions(), predictions, 'predictions', acq)).toBe(
      predictions,
    );
    expect(await waitForCount(path, (s) => s.countAlerts(), alerts, 'alerts', acq)).toBe(alerts);
    read(acq, (store) => {
      for (const pump of [pumps[0], pumps[39]] as string[]) {
        const seqs = [...store.iteratePredictions(pump, T0, T0 + 1000 * S)].map((p) => p.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i));
        expect(seqs).toHaveLength(400);
      }
    });
  });

  it('with STORE=influxdb, forwards them as pump_prediction and pump_alert points, a redelivery writing no second point', async () => {
    const influx = await startFakeInflux();
    try {
      const acq = acquisition('acq-pred-influx', ['--store', 'influxdb'], {
        INFLUX_URL: influx.url,
        INFLUX_TOKEN: influx.token,
        INFLUX_ORG: influx.org,
        INFLUX_BUCKET: influx.bucket,
      });
      await acq.waitForLine(/"subscribed"/);
      const predictions = [0, 1, 2].map((i) =>
        prediction('p-flux', T0 + i * S, { probabilities: { HEALTHY: 0.9, WARNING: 0.1 } }),
      );
      // the third with a RUL: a RUL model began serving
      const third = predictions[2] as Prediction;
      predictions[2] = { ...third, rul_h: 6.5, rul_model_version: RUL_MODEL };
      const alarm = alert('p-flux', T0 + 2 * S);
      const recovered = recovery('p-flux', T0 + 2 * S);
      const low = rulLow('p-flux', T0 + 2 * S, 6.5, { state: 'FAULTY', previous_state: 'FAULTY' });
      const client = await publisher('pred-publisher-influx');
      try {
        await publishAll(client, [...predictions, alarm, recovered, low]);
        await publishAll(client, [...predictions, alarm, low]);
      } finally {
        await client.endAsync();
      }
      const deadline = Date.now() + 60_000;
      let points = influx.points();
      while (points.length < 6 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        points = influx.points();
      }
      const predictionPoints = points.filter((p) => p.measurement === PREDICTION_MEASUREMENT);
      const alertPoints = points.filter((p) => p.measurement === ALERT_MEASUREMENT);
      expect(predictionPoints).toHaveLength(3);
      expect(predictionPoints[0]).toEqual({
        measurement: 'pump_prediction',
        tags: { pump_id: 'p-flux' },
        fields: {
          state: 'HEALTHY',
          raw_state: 'WARNING',
          p_healthy: 0.9,
          p_warning: 0.1,
          vibration_rms: 2.417,
          iso_zone: 'B',
          model_version: MODEL,
          latency_ms: 3.41,
          seq: 0n,
        },
        time: BigInt(T0) * 1_000_000n,
      });
      expect(predictionPoints[1]?.fields).not.toHaveProperty('rul_h');
      expect(predictionPoints[2]?.fields).toMatchObject({ rul_h: 6.5, rul_model_version: RUL_MODEL });
      expect(alertPoints.map((p) => [p.tags, p.fields.state, p.fields.previous_state])).toEqual([
        [{ kind: 'alarm', pump_id: 'p-flux' }, 'FAULTY', 'WARNING'],
        [{ kind: 'recovered', pump_id: 'p-flux' }, 'HEALTHY', 'FAULTY'],
        [{ kind: 'rul_low', pump_id: 'p-flux' }, 'FAULTY', 'FAULTY'],
      ]);
      expect(JSON.parse(alertPoints[0]?.fields.evidence as string)).toEqual(alarm.evidence);
      expect(JSON.parse(alertPoints[2]?.fields.evidence as string)).toEqual(low.evidence);
      const metrics = await waitForMetrics(acq, /^pdm_acquisition_backlog_rows 0$/m);
      // The redelivered copies never reached the outbox: InfluxDB was sent each point once.
      expect(influx.stats().linesAccepted).toBe(6);
      expect(metrics).toMatch(/^pdm_acquisition_forwarded_total 6$/m);
    } finally {
      await influx.stop();
    }
  });
});
