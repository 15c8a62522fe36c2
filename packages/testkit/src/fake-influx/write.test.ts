import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { errorOf, startFake, write } from './testing.ts';

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

  it('refuses a type change within a batch, on a line otherwise like the ones before it', async () => {
    const fake = await startFake();
    const response = await write(fake, 'm,id=a v=1,n=1i 1\nm,id=a v=2,n=2i 2\nm,id=a v=3,n=3 3');
    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toMatch(
      /input field "n" on measurement "m" is type float, already exists as type integer dropped=3$/,
    );
    expect(fake.stats().pointsStored).toBe(0);
  });

  it('decodes a large gzip body, and one of several gzip members', async () => {
    const fake = await startFake();
    const lines = Array.from({ length: 20_000 }, (_, i) => `m,id=p${i % 7} v=${i / 8},n=${i}i ${i}`);
    const large = await write(fake, gzipSync(lines.join('\n')), { headers: { 'content-encoding': 'gzip' } });
    // the last member's trailer announces a few bytes, not the whole body
    const members = Buffer.concat([gzipSync(`${lines.join('\n')}\n`), gzipSync('m,id=q v=1 1')]);
    const several = await write(fake, members, { headers: { 'content-encoding': 'gzip' } });
    expect([large.status, several.status]).toEqual([204, 204]);
    expect(fake.stats()).toMatchObject({ linesAccepted: 40_001, pointsStored: 20_001 });
  });
});
