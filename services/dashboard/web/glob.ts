/** Pump id globs, as GET /api/fleet's `pattern` reads them: `*` any run of characters, `?` one; case-sensitive. */

/** The glob as an anchored regular expression; an empty glob matches every id. */
export function globToRegExp(glob: string): RegExp {
  if (glob === '') return /^/;
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}
