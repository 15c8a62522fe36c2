import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@pdm/testkit';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PIPELINE_METRICS, PipelineScraper } from './pipeline.ts';
import { bucketsOf, parsePrometheusText, quantileOf, sumOf } from './prometheus.ts';

const silent = pino({ level: 'silent' });

describe('the Prometheus text reader', () => {
  const text = [
    '# HELP pdm_inference_predictions_total predictions published, by smoothed state',
    '# TYPE pdm_inference_predictions_total counter',
    'pdm_inference_predictions_total{state="HEALTHY"} 90',
    'pdm_inference_predictions_total{state="FAULTY"} 10',
    'pdm_inference_latency_ms_bucket{le="1"} 50',
    'pdm_inference_latency_ms_bucket{le="2"} 90',
    'pdm_inference_latency_ms_bucket{le="5"} 100',
    'pdm_inference_latency_ms_bucket{le="+Inf"} 100',
    'pdm_acquisition_backlog_rows 7',
  ].join('\n');

  it('sums a metric over its label sets', () => {
    const scrape = parsePrometheusText(text);
    expect(sumOf(scrape, 'pdm_inference_predictions_total')).toBe(100);
    expect(sumOf(scrape, 'pdm_acquisition_backlog_rows')).toBe(7);
    expect(sumOf(scrape, 'absent')).toBeUndefined();
  });

  it('reads a quantile off cumulative buckets, interpolated within its bucket', () => {
    const buckets = bucketsOf(parsePrometheusText(text), 'pdm_inference_latency_ms');
    expect(buckets && quantileOf(buckets, 0.5)).toBe(1);
    // rank 99 lies in (2, 5], 9 of its 10 observations in: 2 + 3 × 0.9
    expect(buckets && quantileOf(buckets, 0.99)).toBeCloseTo(4.7);
    expect(
      quantileOf(
        new Map([
          [1, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
        0.99,
      ),
    ).toBeUndefined();
    expect(
      quantileOf(
        new Map([
          [1, 0],
          [Number.POSITIVE_INFINITY, 5],
        ]),
        0.99,
      ),
    ).toBe(1);
  });
});

describe('PipelineScraper', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A /metrics endpoint that answers whatever `body` holds at the time. */
  async function metricsEndpoint(body: { text: string; status?: number }): Promise<string> {
    const endpoint = createServer((_req, res) => res.writeHead(body.status ?? 200).end(body.text));
    server = endpoint;
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/metrics`;
  }

  const SETTINGS = { intervalMs: 1000, timeoutMs: 1000, windowMs: 60_000 };

  /** A scraper of one endpoint on a clock the test sets, and that endpoint's body. */
  async function scraperOfOne(name: string) {
    const body = { text: '' };
    const url = await metricsEndpoint(body);
    const clock = { now: 0 };
    const scraper = new PipelineScraper([{ name, url }], SETTINGS, silent, () => clock.now);
    return { body, url, clock, scraper };
  }

  it('turns counters into rates per second over its window, across a restart of the service', async () => {
    const { body, url, clock, scraper } = await scraperOfOne('acquisition');
    const scrapeAt = async (at: number, stored: number) => {
      clock.now = at;
      body.text = `${PIPELINE_METRICS.stored} ${stored}\n${PIPELINE_METRICS.backlog} 3\n`;
      await scraper.scrapeOnce();
    };
    await scrapeAt(0, 1000);
    expect(scraper.figures().ingestPerS).toBeNull();
    await scrapeAt(10_000, 3000);
    expect(scraper.figures()).toMatchObject({ ingestPerS: 200, backlog: 3, predictionsPerS: null });
    // The service restarted: its counter starts over, which is not a negative rate.
    await scrapeAt(20_000, 100);
    await scrapeAt(30_000, 600);
    expect(scraper.figures().ingestPerS).toBe(50);
    expect(scraper.figures().scrape).toEqual([{ url, ok: true }]);
  });

  it('reports a target that does not answer, per URL, and keeps going', async () => {
    const body = { text: 'oops', status: 500 };
    const url = await metricsEndpoint(body);
    const gone = `http://127.0.0.1:${await freePort()}/metrics`;
    const scraper = new PipelineScraper(
      [
        { name: 'inference', url },
        { name: 'gone', url: gone },
      ],
      SETTINGS,
      silent,
    );
    await scraper.scrapeOnce();
    const [first, second] = scraper.figures().scrape;
    expect(first).toEqual({ url, ok: false, error: 'HTTP 500' });
    expect(second).toMatchObject({ url: gone, ok: false });
    expect(second?.error).toMatch(/ECONNREFUSED/);
  });

  it('computes the inference latency p99 from the buckets observed within the window', async () => {
    const { body, clock, scraper } = await scraperOfOne('inference');
    const histogram = (fast: number, slow: number) =>
      [
        `${PIPELINE_METRICS.latency}_bucket{le="10"} ${fast}`,
        `${PIPELINE_METRICS.latency}_bucket{le="100"} ${fast + slow}`,
        `${PIPELINE_METRICS.latency}_bucket{le="+Inf"} ${fast + slow}`,
        `${PIPELINE_METRICS.predictions}{state="HEALTHY"} ${fast + slow}`,
      ].join('\n');
    // Long ago, many slow ones; within the window only fast ones.
    body.text = histogram(0, 1000);
    await scraper.scrapeOnce();
    clock.now = 10_000;
    body.text = histogram(500, 1000);
    await scraper.scrapeOnce();
    const { inferenceLatencyP99Ms, predictionsPerS } = scraper.figures();
    expect(inferenceLatencyP99Ms).toBeCloseTo(9.9);
    expect(predictionsPerS).toBe(50);
  });
});
