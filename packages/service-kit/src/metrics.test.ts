import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.ts';

describe('metrics', () => {
  it('renders counters, gauges and histograms in Prometheus text format', async () => {
    const registry = new MetricsRegistry();
    const invalid = registry.counter('pdm_invalid_total', 'invalid messages', ['reason']);
    invalid.inc({ reason: 'not_json' });
    invalid.inc({ reason: 'not_json' });
    invalid.inc({ reason: 'bad "quote"' });
    registry.gauge('pdm_backlog_rows', 'rows waiting', { collect: (g) => g.set(42) });
    const latency = registry.histogram('pdm_write_ms', 'write latency', [1, 10]);
    latency.observe(0.5);
    latency.observe(5);
    latency.observe(50);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE pdm_invalid_total counter\npdm_invalid_total{reason="not_json"} 2');
    expect(text).toContain('pdm_invalid_total{reason="bad \\"quote\\""} 1');
    expect(text).toContain('# TYPE pdm_backlog_rows gauge\npdm_backlog_rows 42');
    expect(text).toContain(
      'pdm_write_ms_bucket{le="1"} 1\npdm_write_ms_bucket{le="10"} 2\npdm_write_ms_bucket{le="+Inf"} 3',
    );
    expect(text).toContain('pdm_write_ms_sum 55.5\npdm_write_ms_count 3');
  });

  it('shows a counter without labels at 0 before anything happened', async () => {
    const registry = new MetricsRegistry();
    registry.counter('pdm_duplicates_total', 'duplicates');
    expect(await registry.metrics()).toMatch(/^pdm_duplicates_total 0$/m);
  });

  it('refuses two metrics with one name', () => {
    const registry = new MetricsRegistry();
    registry.counter('x', 'x');
    expect(() => registry.gauge('x', 'x')).toThrow('already been registered');
  });

  it('adds memory, heap, GC and event-loop figures to a service’s registry, and to no other', async () => {
    const service = await new MetricsRegistry({ processMetrics: true }).metrics();
    expect(service).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(service).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(service).toContain('nodejs_heap_size_used_bytes');
    expect(await new MetricsRegistry().metrics()).not.toContain('process_resident_memory_bytes');
  });

  it('keeps the metrics of two services in one process apart', async () => {
    const [a, b] = [
      new MetricsRegistry({ processMetrics: true }),
      new MetricsRegistry({ processMetrics: true }),
    ];
    a.counter('pdm_received_total', 'received').inc(2);
    b.counter('pdm_received_total', 'received').inc(5);
    expect(await a.metrics()).toMatch(/^pdm_received_total 2$/m);
    expect(await b.metrics()).toMatch(/^pdm_received_total 5$/m);
  });
});
