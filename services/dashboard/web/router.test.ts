import { describe, expect, it } from 'vitest';
import { hashFor, parseHash } from './router.ts';

describe('the hash routes', () => {
  it('reads a view, its pump id and its query', () => {
    const route = parseHash('#/pump/pump-00042?range=24h');
    expect(route.view).toBe('pump');
    expect(route.params).toEqual(['pump-00042']);
    expect(route.query.get('range')).toBe('24h');
  });

  it('round-trips a pump id with characters that mean something in a URL', () => {
    const id = 'a/b?c#d <img>';
    expect(parseHash(hashFor('pump', [id])).params).toEqual([id]);
  });

  it('shows the fleet for an empty or unknown hash', () => {
    expect(parseHash('').view).toBe('fleet');
    expect(parseHash('#/nowhere').view).toBe('fleet');
  });

  it('leaves empty settings out of the hash', () => {
    expect(hashFor('fleet', [], { pattern: '', state: 'FAULTY,BROKEN', sort: undefined })).toBe(
      '#/fleet?state=FAULTY%2CBROKEN',
    );
  });
});
