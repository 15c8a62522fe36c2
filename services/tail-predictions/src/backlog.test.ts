import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backlogStart } from './backlog.ts';

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'pdm-tail-')), 'log');
  writeFileSync(path, text);
  return { path, size: Buffer.byteLength(text) };
};
const every = () => true;
const rest = (text: string, offset: number) => Buffer.from(text).subarray(offset).toString();

describe('finding where the last rows start', () => {
  it('starts at the last N lines', async () => {
    const text = 'a\nb\nc\nd\n';
    const { path, size } = file(text);
    expect(rest(text, await backlogStart(path, size, 2, every))).toBe('c\nd\n');
    expect(await backlogStart(path, size, 10, every)).toBe(0);
    expect(await backlogStart(path, size, 0, every)).toBe(size);
  });

  it('counts only the lines that pass, and starts with the Nth of them from the end', async () => {
    const text = 'keep 1\nskip\nkeep 2\nskip\nskip\nkeep 3\nskip\n';
    const { path, size } = file(text);
    const start = await backlogStart(path, size, 2, (l) => l.startsWith('keep'));
    expect(rest(text, start)).toBe('keep 2\nskip\nskip\nkeep 3\nskip\n');
  });

  it('does not count a half-written last line, and starts before it so it shows once complete', async () => {
    const text = 'a\nb\n{"half":';
    const { path, size } = file(text);
    expect(rest(text, await backlogStart(path, size, 1, every))).toBe('b\n{"half":');
    expect(rest(text, await backlogStart(path, size, 0, every))).toBe('{"half":');
    expect(await backlogStart(file('{"half":').path, 8, 1, every)).toBe(0);
  });

  it('reads back across many chunks', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `row ${i} ${'.'.repeat(i % 50)}`);
    const text = `${lines.join('\n')}\n`;
    const { path, size } = file(text);
    const start = await backlogStart(path, size, 3, (l) => Number(l.split(' ')[1]) % 1000 === 0);
    expect(rest(text, start).split('\n')[0]).toBe(lines[17_000]);
  });

  it('gives up looking back after the byte limit, starting at the first whole line inside it', async () => {
    const text = `match\n${'filler\n'.repeat(1000)}`;
    const { path, size } = file(text);
    const start = await backlogStart(path, size, 1, (l) => l === 'match', 700);
    expect(size - start).toBeLessThanOrEqual(700);
    expect(rest(text, start).startsWith('filler\n')).toBe(true);
  });
});
