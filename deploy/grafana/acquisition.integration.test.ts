/**
 * The Grafana dashboards' queries against the fake InfluxDB, over data that acquisition itself stored: a
 * real Mosquitto, acquisition with STORE=influxdb, and the suite's samples (the labelled ones with their
 * ground truth, on the training topic), predictions and alerts published on their topics as the
 * simulators and inference publish them.
 */
import { telemetrySchema, topics, trainingSampleSchema } from '@pdm/contract';
import { type InfluxTarget, MEASUREMENT } from '@pdm/influx';
import { type GrafanaSuiteData, grafanaSuite, targetOf } from '@pdm/influx/testing';
import {
  type FakeInflux,
  type Mosquitto,
  type RunningService,
  startFakeInflux,
  startMosquitto,
  startService,
} from '@pdm/testkit';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe } from 'vitest';

let broker: Mosquitto | undefined;
let fake: FakeInflux | undefined;
let acquisition: RunningService | undefined;

/**
 * Each sample on its topic: a labelled one (with its ground truth) on the training topic, as the training
 * simulator sends it, the others as telemetry; then the predictions and alerts, as inference publishes them.
 */
function messagesOf(data: GrafanaSuiteData): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const s of data.samples) {
    if (s.state != null) out.push([topics.training(s.pump_id), trainingSampleSchema.parse(s)]);
    else out.push([topics.telemetry(s.pump_id), telemetrySchema.parse(s)]);
  }
  for (const p of data.predictions) out.push([topics.predictions(p.pump_id), p]);
  for (const a of data.alerts) out.push([topics.alerts(a.pump_id), a]);
  return out;
}

async function storeThroughAcquisition(target: InfluxTarget, data: GrafanaSuiteData): Promise<void> {
  const running = startService('acquisition', ['--http-port', '0', '--store', 'influxdb'], {
    MQTT_URL: (broker as Mosquitto).url,
    MQTT_CLIENT_ID: 'acq-grafana',
    INFLUX_URL: target.url,
    INFLUX_TOKEN: target.token,
    INFLUX_ORG: target.org,
    INFLUX_BUCKET: target.bucket,
  });
  acquisition = running;
  await running.waitForLine(/"subscribed"/);
  const client = await mqtt.connectAsync((broker as Mosquitto).url, {
    clientId: 'grafana-publisher',
    protocolVersion: 5,
  });
  try {
    await Promise.all(
      messagesOf(data).map(([topic, message]) =>
        client.publishAsync(topic, JSON.stringify(message), { qos: 1 }),
      ),
    );
  } finally {
    await client.endAsync();
  }
  // Stored once every point is in the fake, each labelled sample with its ground truth merged in.
  const points = data.samples.length + data.predictions.length + data.alerts.length;
  const labelled = data.samples.filter((s) => s.state != null).length;
  const stored = async () => {
    for (;;) {
      const all = (fake as FakeInflux).points();
      const truths = all.filter((p) => p.measurement === MEASUREMENT && p.fields.state !== undefined).length;
      if (all.length >= points && truths >= labelled) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await running.whileRunning(stored());
}

describe('the Grafana dashboards’ queries against the fake InfluxDB, with the data stored by acquisition from MQTT', () => {
  beforeAll(async () => {
    broker = await startMosquitto();
    fake = await startFakeInflux();
  });
  afterAll(async () => {
    if (acquisition) {
      acquisition.signal('SIGTERM');
      await acquisition.exited;
    }
    await fake?.stop();
    await broker?.stop();
  });

  grafanaSuite(() => targetOf(fake as FakeInflux), storeThroughAcquisition);
});
