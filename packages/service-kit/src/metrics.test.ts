import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.ts';

describe('metrics', () => {
  it('renders counters, gauges and histograms in Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const invalid = registry.counter('pdm_invalid_total', 'invalid messages');
    invalid.inc({ reason: 'not_json' });
    invalid.inc({ reason: 'not_json' });
    invalid.inc({ reason: 'bad "quote"' });
    registry.gauge('pdm_backlog_rows', 'rows waiting', () => 42);
    const latency = registry.histogram('pdm_write_ms', 'write latency', [1, 10]);
    latency.observe(0.5);
    latency.observe(5);
    latency.observe(50);
    const text = registry.render();
    expect(text).toContain('# TYPE pdm_invalid_total counter\npdm_invalid_total{reason="not_json"} 2');
    expect(text).toContain('pdm_invalid_total{reason="bad \\"quote\\""} 1');
    expect(text).toContain('# TYPE pdm_backlog_rows gauge\npdm_backlog_rows 42');
    expect(text).toContain(
      'pdm_write_ms_bucket{le="1"} 1\npdm_write_ms_bucket{le="10"} 2\npdm_write_ms_bucket{le="+Inf"} 3',
    );
    expect(text).toContain('pdm_write_ms_sum 55.5\npdm_write_ms_count 3');
  });

  it('estimates quantiles conservatively from the buckets', () => {
    const h = new MetricsRegistry().histogram('lag', 'lag');
    for (let i = 1; i <= 1000; i++) h.observe(i / 100); // 0.01 … 10 ms
    expect(h.quantile(0.5)).toBe(5);
    expect(h.quantile(0.99)).toBe(10);
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(9.9);
    h.observe(60_000);
    expect(h.quantile(1)).toBe(60_000);
  });

  it('refuses two metrics with one name', () => {
    const registry = new MetricsRegistry();
    registry.counter('x', 'x');
    expect(() => registry.gauge('x', 'x')).toThrow('registered twice');
  });
});
