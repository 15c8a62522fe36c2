import { type FakeInflux, startFakeInflux } from '@pdm/testkit';
import { afterAll, beforeAll, describe } from 'vitest';
import { grafanaSuite } from './grafana.suite.ts';
import { targetOf } from './testing/index.ts';

describe('the Grafana dashboards’ queries against the fake InfluxDB', () => {
  let fake: FakeInflux | undefined;
  // one fake for the file: the suite writes its points once, before its first test
  beforeAll(async () => {
    fake = await startFakeInflux();
  });
  afterAll(() => fake?.stop());
  grafanaSuite(() => {
    if (!fake) throw new Error('the fake InfluxDB runs only inside the suite');
    return targetOf(fake);
  });
});
