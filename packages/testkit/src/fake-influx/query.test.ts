import { describe, expect, it } from 'vitest';
import type { FakeInflux } from './server.ts';
import { errorOf, query, startFake, write } from './testing.ts';

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
    ['from(bucket: "telemetry") |> range(start: 0) |> median()', /does not support median\(\)/],
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
