import { describe, expect, it } from 'vitest';
import { parseTelegramHtml } from './html.ts';

describe("the fake Bot API's HTML check", () => {
  it('accepts Telegram tags and entities and returns the visible text', () => {
    expect(parseTelegramHtml('<b>pump &lt;1&gt;</b> &amp; <i>x</i> &#38;')).toEqual({
      ok: true,
      text: 'pump <1> & x &',
    });
  });

  it.each([
    ['an unknown tag', '<img src=x onerror=alert(1)>'],
    ['a bare "<"', 'a < b'],
    ['a bare ">"', 'a > b'],
    ['a bare "&"', 'Q&A'],
    ['an unclosed tag', '<b>bold'],
    ['crossed tags', '<b><i>x</b></i>'],
  ])('refuses %s, as Telegram answers 400', (_, html) => {
    expect(parseTelegramHtml(html).ok).toBe(false);
  });
});
