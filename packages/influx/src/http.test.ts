import { describe, expect, it } from 'vitest';
import { apiUrl, parseRetryAfter, serverMessage } from './http.ts';

describe('parseRetryAfter', () => {
  it('reads delay-seconds as seconds, not milliseconds', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
  });

  it('reads an HTTP date as the time left until then, never negative', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('serverMessage', () => {
  it("takes InfluxDB's JSON message, else the text, else X-Influxdb-Error, else the status", () => {
    const none = new Headers();
    expect(serverMessage('{"code":"invalid","message":"bad line"}', none, 400)).toBe('bad line');
    expect(serverMessage(' <html>Bad Gateway</html>\n', none, 502)).toBe('<html>Bad Gateway</html>');
    expect(serverMessage('', new Headers({ 'x-influxdb-error': 'from the header' }), 500)).toBe(
      'from the header',
    );
    expect(serverMessage('', none, 503)).toBe('HTTP 503');
  });

  it('cuts a huge message and says how much is missing', () => {
    const message = serverMessage('x'.repeat(5000), new Headers(), 400);
    expect(message).toBe(`${'x'.repeat(4000)}… (1000 more characters)`);
  });
});

describe('apiUrl', () => {
  it('keeps a reverse proxy path prefix and encodes parameters', () => {
    expect(apiUrl('http://h:8086', '/api/v2/write', { org: 'a b', bucket: 'x&y' })).toBe(
      'http://h:8086/api/v2/write?org=a+b&bucket=x%26y',
    );
    expect(apiUrl('https://h/influx/', '/health')).toBe('https://h/influx/health');
    expect(apiUrl('https://h/influx', '/health')).toBe('https://h/influx/health');
  });
});
