/**
 * The fake InfluxDB in a process of its own, for forwarder.bench.ts: like a real InfluxDB, its parsing
 * then runs on another core and its garbage is collected in another heap, so the benchmark times the
 * writer rather than the two fighting over one event loop. Talks to its parent over the IPC channel.
 */
import { startFakeInflux } from '@pdm/testkit';

export type FakeProcessRequest = 'stats' | 'stop';

export interface FakeProcessStats {
  readonly linesAccepted: number;
  /** gzipped bytes received */
  readonly bytes: number;
  /** time the fake spent answering, from body received to status line sent */
  readonly answeringMs: number;
}

const fake = await startFakeInflux({ recordLines: false, storePoints: false });
process.send?.({ url: fake.url, token: fake.token, org: fake.org, bucket: fake.bucket });
process.on('message', async (request: FakeProcessRequest) => {
  if (request === 'stats') {
    const requests = fake.requests();
    const stats: FakeProcessStats = {
      linesAccepted: fake.stats().linesAccepted,
      bytes: requests.reduce((sum, r) => sum + r.bytes, 0),
      answeringMs: requests.reduce((sum, r) => sum + r.ms, 0),
    };
    process.send?.(stats);
  } else if (request === 'stop') {
    await fake.stop();
    process.disconnect();
  }
});
