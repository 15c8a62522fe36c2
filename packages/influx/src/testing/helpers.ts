/** Helpers for tests that read from InfluxDB: a fake per test, whole answers, expected failures. */
import { type FakeInflux, startFakeInflux } from '@pdm/testkit';
import { afterEach, beforeEach, expect } from 'vitest';
import { InfluxError } from '../errors.ts';
import type { InfluxTarget } from '../http.ts';

/** A fake InfluxDB started before each test of the calling file and stopped after it, pass or fail. */
export function fakeInfluxPerTest(): {
  readonly fake: () => FakeInflux;
  readonly target: () => InfluxTarget;
} {
  let fake: FakeInflux | undefined;
  beforeEach(async () => {
    fake = await startFakeInflux();
  });
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });
  const current = () => {
    if (!fake) throw new Error('the fake InfluxDB runs only inside a test');
    return fake;
  };
  return {
    fake: current,
    target: () => targetOf(current()),
  };
}

/** Where a fake InfluxDB is, as the adapter's options name it. */
export function targetOf({ url, token, org, bucket }: FakeInflux): InfluxTarget {
  return { url, token, org, bucket };
}

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** The InfluxError a promise rejects with; the test fails if it resolves or rejects with anything else. */
export async function influxFailure(promise: Promise<unknown>): Promise<InfluxError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InfluxError);
  return err as InfluxError;
}
