/** HTTP Basic authentication against one user and password, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const REALM = 'pump-pdm';
export const CHALLENGE = `Basic realm="${REALM}"`;

/**
 * Whether an Authorization header carries these credentials. Both sides are hashed first, so that the
 * comparison takes the same time whatever the lengths and wherever the first difference is.
 */
export function basicAuthCheck(user: string, password: string): (header: string | undefined) => boolean {
  const expected = digest(`${user}:${password}`);
  return (header) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    const given = Buffer.from(match[1] as string, 'base64').toString('utf8');
    return timingSafeEqual(digest(given), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
