import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportError } from './errors.ts';
import { AtomicOutput } from './output.ts';

const root = mkdtempSync(join(tmpdir(), 'pdm-output-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `case-${n++}`);

describe('atomic output file', () => {
  it('shows nothing under its name until it is complete, then all of it', async () => {
    const dir = freshDir();
    const path = join(dir, 'nested', 'training.csv');
    const output = await AtomicOutput.create(path);
    output.write('a,b\n');
    output.write(Buffer.from('1,2\n'));
    await output.drained();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(dir, 'nested'))).toHaveLength(1);
    await output.commit();
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n');
    expect(readdirSync(join(dir, 'nested'))).toEqual(['training.csv']);
  });

  it('leaves an earlier file of the same name alone, and no trace of itself, when discarded', async () => {
    const dir = freshDir();
    const path = join(dir, 'training.csv');
    const first = await AtomicOutput.create(path);
    first.write('old\n');
    await first.commit();
    const second = await AtomicOutput.create(path);
    second.write('half a fi');
    await second.discard();
    expect(readdirSync(dir)).toEqual(['training.csv']);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
  });

  it('fails with output_failed naming the path when the folder cannot be made', async () => {
    const dir = freshDir();
    const blocker = join(dir, 'not-a-folder');
    await AtomicOutput.create(join(dir, 'x.csv')).then((o) => o.discard());
    writeFileSync(blocker, 'a file');
    const path = join(blocker, 'training.csv');
    const failure = await AtomicOutput.create(path).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ExportError);
    expect((failure as ExportError).code).toBe('output_failed');
    expect((failure as ExportError).message).toContain(path);
  });
});
