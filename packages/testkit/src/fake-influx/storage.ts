/** The fake's buckets in memory: series by key, each point's fields by time, and the field types held. */
import type { FieldType, FieldValue } from './fields.ts';
import type { ParsedPoint } from './line-protocol.ts';

/** A point as stored: tags and fields unescaped, time in nanoseconds. */
export interface FakePoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly time: bigint;
}

export interface Series {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly points: Map<bigint, ReadonlyMap<string, FieldValue>>;
}

export interface Bucket {
  readonly series: Map<string, Series>;
  /** measurement → field → type: InfluxDB refuses a field that changes type within a shard */
  readonly fieldTypes: Map<string, Map<string, FieldType>>;
}

export function emptyBucket(): Bucket {
  return { series: new Map(), fieldTypes: new Map() };
}

export function store(bucket: Bucket, points: readonly ParsedPoint[]): void {
  for (const point of points) {
    let series = bucket.series.get(point.seriesKey);
    if (!series) {
      series = { measurement: point.measurement, tags: Object.fromEntries(point.tags), points: new Map() };
      bucket.series.set(point.seriesKey, series);
    }
    const existing = series.points.get(point.time);
    // Same series and time: the point's fields merge, new values win, as in InfluxDB.
    series.points.set(point.time, existing ? new Map([...existing, ...point.fields]) : point.fields);
  }
}

/** Every point of a bucket, by series key then time. */
export function listPoints(bucket: Bucket): FakePoint[] {
  const out: FakePoint[] = [];
  for (const key of [...bucket.series.keys()].sort()) {
    const series = bucket.series.get(key) as Series;
    for (const time of [...series.points.keys()].sort(compareBigint)) {
      out.push({
        measurement: series.measurement,
        tags: series.tags,
        fields: Object.fromEntries(series.points.get(time) as ReadonlyMap<string, FieldValue>),
        time,
      });
    }
  }
  return out;
}

export function countPoints(bucket: Bucket): number {
  let count = 0;
  for (const series of bucket.series.values()) count += series.points.size;
  return count;
}

export function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
