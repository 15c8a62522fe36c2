import { describe, expect, it } from 'vitest';
import { terminalProgress } from './progress.ts';

describe('terminalProgress', () => {
  it('redraws one line in place at most once per interval, and clears it when done', () => {
    const written: string[] = [];
    let now = 0;
    const progress = terminalProgress(
      (t) => written.push(t),
      100,
      () => now,
    );
    progress.update('trees 1/3');
    now = 50;
    progress.update('trees 2/3');
    now = 150;
    progress.update('trees 3/3');
    progress.done();
    expect(written).toEqual(['\rtrees 1/3\x1b[K', '\rtrees 3/3\x1b[K', '\r\x1b[K']);
  });

  it('writes nothing on done when nothing was shown', () => {
    const written: string[] = [];
    terminalProgress((t) => written.push(t)).done();
    expect(written).toEqual([]);
  });
});
