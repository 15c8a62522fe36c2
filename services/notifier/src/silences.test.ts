import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotifierDb } from './db.ts';
import { createSilence, parseDuration, silenceRequestSchema } from './silences.ts';

const NOW = Date.UTC(2026, 0, 1);

describe('silences', () => {
  it.each([
    ['4h', 4 * 3_600_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['soon', undefined],
    ['4 hours', undefined],
  ])('reads the duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('stores a silence that ends after its duration, and lists it while it is active', () => {
    const db = new NotifierDb(join(mkdtempSync(join(tmpdir(), 'pdm-notifier-')), 'n.sqlite'));
    const request = silenceRequestSchema.parse({
      pattern: 'pump-000*',
      duration: '4h',
      comment: 'bearing swap',
    });
    const silence = createSilence(db, request, NOW);
    expect(silence).toMatchObject({ pattern: 'pump-000*', endsAt: NOW + 4 * 3_600_000, createdBy: 'api' });
    expect(db.silences(NOW + 3_600_000)).toHaveLength(1);
    expect(db.silences(NOW + 5 * 3_600_000)).toHaveLength(0);
    expect(db.silences(NOW + 5 * 3_600_000, { all: true })).toHaveLength(1);
    db.close();
  });

  it('expires a silence at once', () => {
    const db = new NotifierDb(join(mkdtempSync(join(tmpdir(), 'pdm-notifier-')), 'n.sqlite'));
    const silence = createSilence(
      db,
      silenceRequestSchema.parse({ pattern: '*', duration: '1h', comment: 'x' }),
      NOW,
    );
    expect(db.expireSilence((silence as { id: number }).id, NOW + 1000)).toBe(true);
    expect(db.silences(NOW + 1000)).toHaveLength(0);
    expect(db.expireSilence((silence as { id: number }).id, NOW + 2000)).toBe(false);
    db.close();
  });

  it('names every problem of a bad request', () => {
    const result = silenceRequestSchema.safeParse({ pattern: 'pump/#', comment: '' });
    expect(result.success).toBe(false);
    const fields = result.error?.issues.map((i) => i.path.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['pattern', 'comment']));
  });
});
