import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFake, write } from './testing.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdm-fake-influx-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the fake InfluxDB with a journal', () => {
  it('keeps accepted points across a restart, and forgets refused ones', async () => {
    const journal = join(dir, 'journal');
    const first = await startFake({ journal });
    expect((await write(first, 'm,pump=a v=1 1000\nm,pump=a v=2 2000')).status).toBe(204);
    expect(
      (
        await write(first, gzipSync('m,pump=b v=3 3'), {
          precision: 's',
          headers: { 'content-encoding': 'gzip' },
        })
      ).status,
    ).toBe(204);
    expect((await write(first, 'm,pump=c v="text" 4000')).status).toBe(422);
    const before = first.points();
    await first.stop();

    const second = await startFake({ journal });
    expect(second.points()).toEqual(before);
    expect(second.points()).toHaveLength(3);
  });

  it('drops a record cut short by a crash, and goes on writing after it', async () => {
    const journal = join(dir, 'journal');
    const first = await startFake({ journal });
    expect((await write(first, 'm v=1 1000')).status).toBe(204);
    await first.stop();
    await appendFile(journal, '#fake-influx-journal telemetry ms 100\nm v=2 20');

    const second = await startFake({ journal });
    expect(second.points()).toHaveLength(1);
    expect((await write(second, 'm v=3 3000')).status).toBe(204);
    await second.stop();
    expect(await readFile(journal, 'utf8')).not.toContain('m v=2');

    const third = await startFake({ journal });
    expect(third.points().map((p) => p.fields.v)).toEqual([1, 3]);
  });
});
