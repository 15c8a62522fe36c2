import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrainerError } from './errors.ts';
import { readTrainingTable, type TableColumns } from './table.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-table-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csvFile(text: string, name = 'data.csv'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const columns: TableColumns = { features: ['b', 'a'], label: 'state', group: 'pump_id' };

async function failure(promise: Promise<unknown>): Promise<TrainerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TrainerError);
  return err as TrainerError;
}

describe('readTrainingTable', () => {
  it('takes the feature columns in the order asked for, and codes labels and groups by first appearance', async () => {
    const path = await csvFile(
      'pump_id,a,ignored,b,state\np1,1.5,x,10,HEALTHY\np2,2.5,y,20,BROKEN\n"p,1",3.5,"z,z",30,HEALTHY\n',
    );
    const table = await readTrainingTable(path, columns);
    expect(table.x.cols).toBe(2);
    expect(Array.from(table.x.data)).toEqual([10, 1.5, 20, 2.5, 30, 3.5]);
    expect(table.labels.names).toEqual(['HEALTHY', 'BROKEN']);
    expect(Array.from(table.labels.codes)).toEqual([0, 1, 0]);
    expect(table.groups?.names).toEqual(['p1', 'p2', 'p,1']);
    expect(Array.from(table.groups!.codes)).toEqual([0, 1, 2]);
    expect(table.header).toEqual(['pump_id', 'a', 'ignored', 'b', 'state']);
    expect(table.fileSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('grows its arrays past their first size without losing or shifting a value', async () => {
    const rows = 5000;
    const lines = ['pump_id,a,b,state'];
    for (let i = 0; i < rows; i++) lines.push(`p${i % 7},${i},${-i / 4},${i % 3 === 0 ? 'X' : 'Y'}`);
    const table = await readTrainingTable(await csvFile(`${lines.join('\r\n')}\r\n`), columns);
    expect(table.x.rows).toBe(rows);
    for (let i = 0; i < rows; i++) {
      expect(table.x.data[2 * i]).toBe(Number(String(-i / 4)));
      expect(table.x.data[2 * i + 1]).toBe(i);
      expect(table.labels.names[table.labels.codes[i]!]).toBe(i % 3 === 0 ? 'X' : 'Y');
    }
  });

  it('makes every row its own group when there is no group column', async () => {
    const table = await readTrainingTable(await csvFile('a,b,state\n1,2,X\n3,4,Y\n'), {
      ...columns,
      group: null,
    });
    expect(table.groups).toBeNull();
    expect(table.x.rows).toBe(2);
  });

  it('names a missing column, suggests the near miss and lists the columns the file has', async () => {
    const path = await csvFile('pump_id,vibration_rms,state\np1,1,X\n');
    const err = await failure(
      readTrainingTable(path, { features: ['vibration_rmz'], label: 'state', group: 'pump_id' }),
    );
    expect(err.code).toBe('unknown-column');
    expect(err.message).toBe(
      'column vibration_rmz (did you mean vibration_rms?) not in data.csv; it has: pump_id, vibration_rms, state',
    );
  });

  it('names every missing column at once', async () => {
    const err = await failure(readTrainingTable(await csvFile('x,y\n1,2\n'), columns));
    expect(err.message).toBe(
      'columns b, a, state, pump_id not in data.csv; it has: x, y. Name the column that identifies each pump ' +
        'with --group, or split rows one by one with --group none',
    );
  });

  it('gives the line and column of a value that is not a number', async () => {
    const path = await csvFile('pump_id,a,b,state\np1,1,2,X\np1,1,2,X\np1,n/a,2,X\n');
    const err = await failure(readTrainingTable(path, columns));
    expect(err.code).toBe('not-numeric');
    expect(err.message).toBe('data.csv line 4, column a: value is "n/a", not a number');
  });

  it('calls an empty feature value empty', async () => {
    const err = await failure(readTrainingTable(await csvFile('pump_id,a,b,state\np1,1,,X\n'), columns));
    expect(err.message).toBe('data.csv line 2, column b: value is empty');
  });

  it('refuses a row without a label, naming its line and what to do', async () => {
    const err = await failure(
      readTrainingTable(await csvFile('pump_id,a,b,state\np1,1,2,X\np1,1,2, \n'), columns),
    );
    expect(err).toMatchObject({
      code: 'bad-csv',
      message:
        'data.csv line 3: label column state is empty. Every row needs its class: fill it in, or drop the row',
    });
  });

  it('refuses a row without a group value rather than lumping such rows into one pump', async () => {
    const path = await csvFile('pump_id,a,b,state\np1,1,2,X\np2,1,2,Y\n,1,2,X\n"",1,2,Y\n');
    const err = await failure(readTrainingTable(path, columns));
    expect(err).toMatchObject({
      code: 'bad-csv',
      message:
        'data.csv line 4: group column pump_id is empty. Every row needs the pump it came from, so that the ' +
        'held-out split can keep each pump whole: fill it in, drop the row, or split rows one by one with --group none',
    });
  });

  it('refuses an empty file and a header without rows', async () => {
    const empty = await failure(readTrainingTable(await csvFile('', 'empty.csv'), columns));
    expect(empty).toMatchObject({ code: 'empty-data', message: 'empty.csv is empty' });
    const headerOnly = await failure(readTrainingTable(await csvFile('pump_id,a,b,state\r\n\r\n'), columns));
    expect(headerOnly).toMatchObject({ code: 'empty-data', message: 'data.csv has a header but no rows' });
  });

  it('refuses a row with more or fewer fields than the header', async () => {
    const err = await failure(readTrainingTable(await csvFile('pump_id,a,b,state\np1,1,2\n'), columns));
    expect(err).toMatchObject({ code: 'bad-csv', message: 'data.csv line 2 has 3 fields, the header has 4' });
  });

  it('refuses a header that names a wanted column twice', async () => {
    const err = await failure(readTrainingTable(await csvFile('pump_id,a,a,b,state\np1,1,1,2,X\n'), columns));
    expect(err.message).toBe('column a appears more than once in the header of data.csv');
  });

  it('reports a missing file as such', async () => {
    const err = await failure(readTrainingTable(join(dir, 'nope.csv'), columns));
    expect(err.code).toBe('missing-file');
    expect(err.message).toContain('nope.csv: no such file');
  });

  it('reports a quote that is never closed with the file name and line', async () => {
    const err = await failure(readTrainingTable(await csvFile('pump_id,a,b,state\n"p1,1,2,X\n'), columns));
    expect(err).toMatchObject({
      code: 'bad-csv',
      message: 'data.csv line 2: a quoted field is never closed',
    });
  });
});
