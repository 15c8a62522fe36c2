/** Pump id patterns, as silences and routes take them: `*` any run of characters, `?` one. */

/** Pump ids hold letters, digits, "_", "-" and "."; a pattern may add `*` and `?`. */
export const PUMP_PATTERN = /^[A-Za-z0-9_.*?-]{1,64}$/;

export function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.\\^$+()[\]{}|-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export function matchesPattern(pattern: string, pumpId: string): boolean {
  return patternToRegExp(pattern).test(pumpId);
}
