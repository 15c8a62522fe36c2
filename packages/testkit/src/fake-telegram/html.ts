/**
 * Telegram's HTML parse mode as the Bot API checks it: only its tags, balanced, and `<`, `>` and `&` in
 * text only as entities. Returns the visible text (what the 4,096-character limit counts), or why
 * Telegram would answer 400 "can't parse entities".
 */

const TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'a',
  'code',
  'pre',
  'span',
  'tg-spoiler',
  'blockquote',
]);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export type ParsedHtml =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string };

export function parseTelegramHtml(html: string): ParsedHtml {
  const open: string[] = [];
  let text = '';
  let i = 0;
  while (i < html.length) {
    const c = html[i] as string;
    if (c === '<') {
      const end = html.indexOf('>', i);
      if (end === -1) return fail(`unclosed start tag at byte offset ${i}`);
      const tag = html.slice(i + 1, end);
      const closing = tag.startsWith('/');
      const name = (closing ? tag.slice(1) : tag).split(/\s/, 1)[0]?.toLowerCase() ?? '';
      if (!TAGS.has(name)) return fail(`unsupported start tag "${name}" at byte offset ${i}`);
      if (closing) {
        if (open.pop() !== name) return fail(`unmatched end tag "${name}" at byte offset ${i}`);
      } else open.push(name);
      i = end + 1;
    } else if (c === '>') {
      return fail(`unescaped ">" at byte offset ${i}`);
    } else if (c === '&') {
      const end = html.indexOf(';', i);
      const name = end === -1 ? '' : html.slice(i + 1, end);
      const decoded = ENTITIES[name] ?? numericEntity(name);
      if (decoded === undefined) return fail(`unsupported entity at byte offset ${i}`);
      text += decoded;
      i = end + 1;
    } else {
      text += c;
      i += 1;
    }
  }
  if (open.length > 0) return fail(`can't find end tag corresponding to start tag "${open.at(-1)}"`);
  return { ok: true, text };
}

function numericEntity(name: string): string | undefined {
  const m = /^#(x[0-9a-f]+|[0-9]+)$/i.exec(name);
  if (!m) return undefined;
  const body = m[1] as string;
  return String.fromCodePoint(
    body[0] === 'x' || body[0] === 'X' ? Number.parseInt(body.slice(1), 16) : Number(body),
  );
}

function fail(why: string): ParsedHtml {
  return { ok: false, error: `Bad Request: can't parse entities: ${why}` };
}
