import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type FakeInflux,
  type FakeInfluxOptions,
  formatFloat,
  formatRfc3339Nano,
  parseLineProtocol,
  parseRfc3339,
  startFakeInflux,
} from './fake-influx.ts';

async function startFake(options?: FakeInfluxOptions): Promise<FakeInflux> {
  const fake = await startFakeInflux(options);
  onTestFinished(() => fake.stop());
  return fake;
}

function write(
  fake: FakeInflux,
  body: string | Buffer,
  { precision = 'ms', token = fake.token, bucket = fake.bucket, org = fake.org, headers = {} } = {},
): Promise<Response> {
  const query = new URLSearchParams({ org, bucket, precision });
  return fetch(`${fake.url}/api/v2/write?${query}`, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, ...headers },
    body,
  });
}

function query(
  fake: FakeInflux,
  flux: string,
  annotations = ['datatype', 'group', 'default'],
): Promise<Response> {
  return fetch(`${fake.url}/api/v2/query?org=${fake.org}`, {
    method: 'POST',
    headers: { authorization: `Token ${fake.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: flux, type: 'flux', dialect: { header: true, annotations } }),
  });
}

/** InfluxDB's error body, `{"code": …, "message": …}`. */
async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return (await response.json()) as { code: string; message: string };
}

function reasonFor(line: string): string {
  const result = parseLineProtocol(line, 'ms');
  if (result.ok) return 'accepted';
  const [error] = result.errors;
  return (error ?? '').replace(/^unable to parse '.*': /s, '');
}

describe('the fake InfluxDB line protocol parser', () => {
  it('reads measurement, tags, typed fields and a timestamp in the given precision', () => {
    const result = parseLineProtocol('m,b=2,a=1 f=1.5,i=-42i,u=42u,s="x",t=true,F=F 1700000000123', 'ms');
    expect(result).toEqual({
      ok: true,
      points: [
        {
          measurement: 'm',
          tags: [
            ['a', '1'],
            ['b', '2'],
          ],
          fields: new Map<string, unknown>([
            ['f', 1.5],
            ['i', -42n],
            ['u', { unsigned: 42n }],
            ['s', 'x'],
            ['t', true],
            ['F', false],
          ]),
          time: 1_700_000_000_123_000_000n,
          seriesKey: 'm,a=1,b=2',
        },
      ],
    });
  });

  it('unescapes commas, spaces and equals signs in measurement, tag and field keys and values', () => {
    const result = parseLineProtocol(
      'my\\ meas\\,ure,tag\\ key=v\\,a\\=l\\ ue field\\=key="say \\"hi\\" \\\\ now",other=1 0',
    );
    expect(result.ok && result.points[0]).toMatchObject({
      measurement: 'my meas,ure',
      tags: [['tag key', 'v,a=l ue']],
      fields: new Map<string, unknown>([
        ['field=key', 'say "hi" \\ now'],
        ['other', 1],
      ]),
      seriesKey: 'my\\ meas\\,ure,tag\\ key=v\\,a\\=l\\ ue',
    });
  });

  it('keeps newlines inside string fields and skips blank lines and comments', () => {
    const result = parseLineProtocol('# a comment\n\nm s="two\nlines" 1\n   \nm x=2 2\n');
    expect(result.ok && result.points.map((p) => Object.fromEntries(p.fields))).toEqual([
      { s: 'two\nlines' },
      { x: 2 },
    ]);
  });

  it('reads floats in every form InfluxDB accepts, to the same double as Number()', () => {
    const texts = [
      '0',
      '-0',
      '12',
      '1.',
      '.5',
      '-.5',
      '120.5',
      '1e3',
      '1.5E-3',
      '-2.5e+10',
      '123456789012345678',
    ];
    const result = parseLineProtocol(texts.map((t, i) => `m v=${t} ${i}`).join('\n'));
    expect(result.ok && result.points.map((p) => p.fields.get('v'))).toEqual(texts.map(Number));
  });

  it('stamps a point without timestamp with the server time, truncated to the precision', () => {
    const result = parseLineProtocol('m v=1', 's', 1_700_000_000_987_654_321n);
    expect(result.ok && result.points[0]?.time).toBe(1_700_000_000_000_000_000n);
  });

  it('sorts tags so that the order on the wire does not make a new series', () => {
    const result = parseLineProtocol('m,z=1,a=2 v=1 1\nm,a=2,z=1 v=2 2');
    expect(result.ok && result.points.map((p) => p.seriesKey)).toEqual(['m,a=2,z=1', 'm,a=2,z=1']);
  });

  it.each([
    [',t=1 v=1', 'missing measurement'],
    ['m', 'missing fields'],
    ['m ', 'missing fields'],
    ['m,t=1', 'missing fields'],
    ['m, v=1', 'missing tag key'],
    ['m,=1 v=1', 'missing tag key'],
    ['m,t v=1', 'missing tag value'],
    ['m,t= v=1', 'missing tag value'],
    ['m,t=a=b v=1', 'invalid tag format'],
    ['m,t=1,t=2 v=1', 'duplicate tags'],
    ['m =1', 'missing field key'],
    ['m v=1,=2', 'missing field key'],
    ['m v=', 'missing field value'],
    ['m v=,w=1', 'missing field value'],
    ['m v', 'invalid field format'],
    ['m v=1,w', 'invalid field format'],
    ['m v=1,', 'invalid field format'],
    ['m v="abc', 'unbalanced quotes'],
    ['m v="a"b', 'invalid field format'],
    ['m v=1.2.3', 'invalid number'],
    ['m v=1i2', 'invalid number'],
    ['m v=1.5i', 'invalid number'],
    ['m v=-1u', 'invalid number'],
    ['m v=0x1F', 'invalid number'],
    ['m v=-', 'invalid number'],
    ['m v=NaN', 'invalid number'],
    ['m v=1e', 'invalid number'],
    ['m v=1e400', 'invalid float'],
    ['m v=9223372036854775808i', 'unable to parse integer 9223372036854775808: value out of range'],
    ['m v=18446744073709551616u', 'unable to parse unsigned 18446744073709551616: value out of range'],
    ['m v=yes', 'invalid boolean'],
    ['m v=tru', 'invalid boolean'],
    ['m v=+1', 'invalid boolean'],
    ['m v=1 12a', 'bad timestamp'],
    ['m v=1 1.5', 'bad timestamp'],
    ['m v=1 -', 'bad timestamp'],
    ['m v=1 1\r', 'bad timestamp'],
    ['m v=1 1 2', 'point is invalid'],
    ['m v=1 9223372036854775807', 'time outside range -9223372036854775806 - 9223372036854775806'],
  ])('rejects %j: %s', (line, reason) => {
    expect(reasonFor(line)).toBe(reason);
  });

  it('names every bad line of a batch, in InfluxDB words', () => {
    const result = parseLineProtocol('m v=1 1\nbad\nm v= 2\nm v=2 2');
    expect(result).toEqual({
      ok: false,
      errors: ["unable to parse 'bad': missing fields", "unable to parse 'm v= 2': missing field value"],
    });
  });
});

describe('the fake InfluxDB write endpoint', () => {
  it('stores an accepted batch and answers 204', async () => {
    const fake = await startFake();
    const response = await write(fake, 'pump,id=P1 v=1.5,n=3i 1700000000000\npump,id=P2 v=2 1700000000001');
    expect(response.status).toBe(204);
    expect(fake.points()).toEqual([
      {
        measurement: 'pump',
        tags: { id: 'P1' },
        fields: { v: 1.5, n: 3n },
        time: 1_700_000_000_000_000_000n,
      },
      { measurement: 'pump', tags: { id: 'P2' }, fields: { v: 2 }, time: 1_700_000_000_001_000_000n },
    ]);
    expect(fake.stats()).toMatchObject({ linesAccepted: 2, pointsStored: 2, byStatus: { 204: 1 } });
  });

  it.each([
    ['s', 1_700_000_000n * 1_000_000_000n],
    ['ms', 1_700_000_000n * 1_000_000n],
    ['us', 1_700_000_000n * 1_000n],
    ['ns', 1_700_000_000n],
  ])('scales timestamps written with precision=%s to nanoseconds', async (precision, time) => {
    const fake = await startFake();
    expect((await write(fake, 'm v=1 1700000000', { precision })).status).toBe(204);
    expect(fake.points()[0]?.time).toBe(time);
  });

  it('decodes a gzip body', async () => {
    const fake = await startFake();
    const response = await write(fake, gzipSync('m v=1 1'), { headers: { 'content-encoding': 'gzip' } });
    expect(response.status).toBe(204);
    expect(fake.requests()[0]?.contentEncoding).toBe('gzip');
    expect(fake.rawLines()).toEqual(['m v=1 1']);
  });

  it('refuses a body that claims gzip but is not', async () => {
    const fake = await startFake();
    const response = await write(fake, 'm v=1 1', { headers: { 'content-encoding': 'gzip' } });
    expect(response.status).toBe(400);
    expect(fake.stats().pointsStored).toBe(0);
  });

  it('rejects the whole batch with a JSON error naming the bad line', async () => {
    const fake = await startFake();
    const response = await write(fake, 'm v=1 1\nm v=oops 2\nm v=3 3');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      code: 'invalid',
      message: "unable to parse 'm v=oops 2': invalid boolean",
    });
    expect(fake.stats().pointsStored).toBe(0);
    expect(fake.rawLines()).toEqual(['m v=1 1', 'm v=oops 2', 'm v=3 3']);
  });

  it('answers 401 without the right token, before looking at anything else', async () => {
    const fake = await startFake();
    const response = await write(fake, 'garbage', { token: 'wrong', bucket: 'nope' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'unauthorized', message: 'unauthorized access' });
  });

  it('answers 404 for an unknown org or bucket', async () => {
    const fake = await startFake();
    const noOrg = await write(fake, 'm v=1', { org: 'elsewhere' });
    const noBucket = await write(fake, 'm v=1', { bucket: 'elsewhere' });
    expect([noOrg.status, noBucket.status]).toEqual([404, 404]);
    expect((await errorOf(noOrg)).message).toBe('organization name "elsewhere" not found');
    expect((await errorOf(noBucket)).message).toBe('bucket "elsewhere" not found');
  });

  it('refuses an unknown precision and an empty batch', async () => {
    const fake = await startFake();
    expect((await write(fake, 'm v=1', { precision: 'm' })).status).toBe(400);
    const empty = await write(fake, '# only a comment\n');
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toBe('writing requires points');
  });

  it('overwrites a rewritten point and merges fields written later into it', async () => {
    const fake = await startFake();
    await write(fake, 'm,id=a v=1,w=1 5');
    await write(fake, 'm,id=a v=2 5');
    await write(fake, 'm,id=a x="late" 5');
    expect(fake.points()).toEqual([
      { measurement: 'm', tags: { id: 'a' }, fields: { v: 2, w: 1, x: 'late' }, time: 5_000_000n },
    ]);
  });

  it('refuses a field that changes type with 422, as InfluxDB does', async () => {
    const fake = await startFake();
    expect((await write(fake, 'm seq=1i 1')).status).toBe(204);
    const response = await write(fake, 'm seq=2 2');
    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toMatch(
      /field type conflict: input field "seq" .* is type float, already exists as type integer/,
    );
    expect(fake.stats().pointsStored).toBe(1);
  });
});

describe('the fake InfluxDB query endpoint', () => {
  async function seeded(): Promise<FakeInflux> {
    const fake = await startFake();
    const response = await write(
      fake,
      [
        'pump,id=b temp=20.5,seq=1i,state="OK" 1700000000000',
        'pump,id=a temp=10,seq=1i 1700000000000',
        'pump,id=a temp=11.25,seq=2i,state="OK" 1700000001000',
        'other,id=a temp=99 1700000000000',
      ].join('\n'),
    );
    expect(response.status).toBe(204);
    return fake;
  }

  it('answers raw series in annotated CSV exactly as InfluxDB encodes it', async () => {
    const fake = await seeded();
    const response = await query(
      fake,
      'from(bucket: "telemetry") |> range(start: 2023-11-14T22:13:20Z, stop: 2023-11-14T22:13:22.5Z) |> filter(fn: (r) => r._measurement == "pump" and r.id == "a" and r._field == "temp")',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await response.text()).toBe(
      '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string\r\n' +
        '#group,false,false,true,true,false,false,true,true,true\r\n' +
        '#default,_result,,,,,,,,\r\n' +
        ',result,table,_start,_stop,_time,_value,_field,_measurement,id\r\n' +
        ',,0,2023-11-14T22:13:20Z,2023-11-14T22:13:22.5Z,2023-11-14T22:13:20Z,10,temp,pump,a\r\n' +
        ',,0,2023-11-14T22:13:20Z,2023-11-14T22:13:22.5Z,2023-11-14T22:13:21Z,11.25,temp,pump,a\r\n' +
        '\r\n',
    );
  });

  it('repeats annotations and header, after a blank line, only when the columns change', async () => {
    const fake = await seeded();
    const response = await query(
      fake,
      'from(bucket: "telemetry") |> range(start: 0) |> filter(fn: (r) => r._measurement == "pump") |> drop(columns: ["_start", "_stop"])',
      [],
    );
    const lines = (await response.text()).split('\r\n');
    expect(lines).toEqual([
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,0,2023-11-14T22:13:20Z,1,seq,pump,a',
      ',_result,0,2023-11-14T22:13:21Z,2,seq,pump,a',
      '',
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,1,2023-11-14T22:13:21Z,OK,state,pump,a',
      '',
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,2,2023-11-14T22:13:20Z,10,temp,pump,a',
      ',_result,2,2023-11-14T22:13:21Z,11.25,temp,pump,a',
      '',
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,3,2023-11-14T22:13:20Z,1,seq,pump,b',
      '',
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,4,2023-11-14T22:13:20Z,OK,state,pump,b',
      '',
      ',result,table,_time,_value,_field,_measurement,id',
      ',_result,5,2023-11-14T22:13:20Z,20.5,temp,pump,b',
      '',
      '',
    ]);
  });

  it('pivots fields into one row per time, groups into one table and sorts it', async () => {
    const fake = await seeded();
    const response = await query(
      fake,
      `from(bucket: "telemetry")
        |> range(start: 1970-01-01T00:00:00.000Z)
        |> filter(fn: (r) => r._measurement == "pump")
        |> filter(fn: (r) => r.id == "b" or r["id"] == "a")
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> keep(columns: ["_time", "id", "seq", "state", "temp"])
        |> group()
        |> sort(columns: ["id", "_time"])`,
    );
    expect((await response.text()).split('\r\n')).toEqual([
      '#datatype,string,long,string,dateTime:RFC3339,long,string,double',
      '#group,false,false,false,false,false,false,false',
      '#default,_result,,,,,,',
      ',result,table,id,_time,seq,state,temp',
      ',,0,a,2023-11-14T22:13:20Z,1,,10',
      ',,0,a,2023-11-14T22:13:21Z,2,OK,11.25',
      ',,0,b,2023-11-14T22:13:20Z,1,OK,20.5',
      '',
      '',
    ]);
  });

  it('answers application/vnd.flux with plain CSV, and honours limit and yield', async () => {
    const fake = await seeded();
    const response = await fetch(`${fake.url}/api/v2/query?org=${fake.org}`, {
      method: 'POST',
      headers: { authorization: `Token ${fake.token}`, 'content-type': 'application/vnd.flux' },
      body: 'from(bucket: "telemetry") |> range(start: -10000d) |> filter(fn: (r) => r._measurement == "other") |> keep(columns: ["_value"]) |> limit(n: 1) |> yield(name: "mine")',
    });
    expect(await response.text()).toBe(',result,table,_value\r\n,mine,0,99\r\n\r\n');
  });

  it('answers an empty result with the lone delimiter line', async () => {
    const fake = await seeded();
    const response = await query(
      fake,
      'from(bucket: "telemetry") |> range(start: 0) |> filter(fn: (r) => r.id == "none")',
    );
    expect(await response.text()).toBe('\r\n');
  });

  it.each([
    ['from(bucket: "telemetry")', /unbounded read/],
    ['from(bucket: "telemetry") |> range(start: 0) |> mean()', /does not support mean\(\)/],
    [
      'from(bucket: "telemetry") |> range(start: 0) |> filter(fn: (r) => r.id =~ /a/)',
      /unsupported operator/,
    ],
    ['from(bucket: "telemetry") |> range(start: 0, stop: 0)', /start must be before stop/],
    ['from(bucket: "telemetry") |> range(begin: 0)', /no argument begin/],
    ['import "strings"\nfrom(bucket: "telemetry") |> range(start: 0)', /unexpected|expected/],
    [
      'from(bucket: "telemetry") |> range(start: 0) |> pivot(rowKey: ["_time"], columnKey: ["nope"], valueColumn: "_value")',
      /does not exist/,
    ],
  ])('answers 400 to Flux it does not understand: %s', async (flux, message) => {
    const fake = await seeded();
    const response = await query(fake, flux);
    expect(response.status).toBe(400);
    const body = await errorOf(response);
    expect(body.code).toBe('invalid');
    expect(body.message).toMatch(message);
  });

  it('answers 404 for an unknown bucket and 401 without the token', async () => {
    const fake = await seeded();
    expect((await query(fake, 'from(bucket: "nope") |> range(start: 0)')).status).toBe(404);
    const anonymous = await fetch(`${fake.url}/api/v2/query?org=${fake.org}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.flux' },
      body: 'from(bucket: "telemetry") |> range(start: 0)',
    });
    expect(anonymous.status).toBe(401);
  });
});

describe('the fake InfluxDB fault injection', () => {
  it('answers the next requests with the injected status, then recovers', async () => {
    const fake = await startFake();
    fake.failNext(2, { status: 503 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await write(fake, `m v=${i} ${i}`)).status);
    expect(statuses).toEqual([503, 503, 204]);
    expect(fake.stats().byStatus).toEqual({ 503: 2, 204: 1 });
    expect(fake.stats().pointsStored).toBe(1);
  });

  it('sends Retry-After with an injected 429', async () => {
    const fake = await startFake();
    fake.failNext(1, { status: 429, retryAfterS: 7, message: 'slow down' });
    const response = await write(fake, 'm v=1 1');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ code: 'too many requests', message: 'slow down' });
  });

  it('fails every request inside a time window', async () => {
    const fake = await startFake();
    fake.failFor(60_000, { status: 500 });
    expect((await write(fake, 'm v=1 1')).status).toBe(500);
    expect((await fetch(`${fake.url}/health`)).status).toBe(500);
  });

  it('delays an answer until its time or until stop', async () => {
    const fake = await startFake();
    fake.delayNext(1, 60_000);
    const pending = write(fake, 'm v=1 1').catch((err: unknown) => err);
    // a delayed answer holds up nobody else
    expect((await write(fake, 'm v=2 2')).status).toBe(204);
    await fake.stop();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('holds a query answer mid-stream until released', async () => {
    const fake = await startFake();
    await write(fake, 'm v=1 1\nm v=2 2\nm v=3 3');
    const hold = fake.holdQueryAfter(1);
    const response = await query(fake, 'from(bucket: "telemetry") |> range(start: 0)', []);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await hold.reached;
    expect(first).toContain(',_result,0,');
    expect(first).not.toContain('1970-01-01T00:00:00.003Z');
    hold.release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toContain('1970-01-01T00:00:00.003Z');
  });
});

describe('the fake InfluxDB health endpoints', () => {
  it('answers /health with a passing check and /ping with 204 and the version', async () => {
    const fake = await startFake();
    const health = await fetch(`${fake.url}/health`);
    expect(await health.json()).toMatchObject({ name: 'influxdb', status: 'pass', version: 'v2.8.0' });
    const ping = await fetch(`${fake.url}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toBe('v2.8.0');
  });

  it('lists a bucket by name for a valid token, and nothing for an unknown name', async () => {
    const fake = await startFake();
    const list = (name: string) =>
      fetch(`${fake.url}/api/v2/buckets?org=${fake.org}&name=${name}`, {
        headers: { authorization: `Token ${fake.token}` },
      }).then((r) => r.json() as Promise<{ buckets: { name: string }[] }>);
    expect((await list(fake.bucket)).buckets).toMatchObject([{ name: fake.bucket }]);
    expect((await list('nope')).buckets).toEqual([]);
  });
});

describe('the fake InfluxDB value formats', () => {
  it('prints floats as Go does with FormatFloat(x, f, -1, 64)', () => {
    expect([1, 0.1, 1.5e-7, 1e21, -2.5e22, 123.456, -0].map(formatFloat)).toEqual([
      '1',
      '0.1',
      '0.00000015',
      '1000000000000000000000',
      '-25000000000000000000000',
      '123.456',
      '-0',
    ]);
  });

  it('prints times as RFC3339Nano, trimming trailing zeros, and reads them back', () => {
    const times = [
      0n,
      1_700_000_000_000_000_000n,
      1_700_000_000_123_000_000n,
      1_700_000_000_000_000_001n,
      -1n,
    ];
    expect(times.map(formatRfc3339Nano)).toEqual([
      '1970-01-01T00:00:00Z',
      '2023-11-14T22:13:20Z',
      '2023-11-14T22:13:20.123Z',
      '2023-11-14T22:13:20.000000001Z',
      '1969-12-31T23:59:59.999999999Z',
    ]);
    expect(times.map(formatRfc3339Nano).map(parseRfc3339)).toEqual(times);
    expect(parseRfc3339('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000_000_000_000n);
  });
});
