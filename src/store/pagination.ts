// Keyset pagination: rows come in a fixed order (a sort value, then id) and a
// cursor names the last row seen, so inserts and deletes between pages never
// make a row appear twice or be skipped. Cursors are opaque to clients.
import { InvalidInput } from '../errors.js';

export interface PageKey {
  at: number;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 64) {
      return { at: v[0], id: v[1] };
    }
  } catch {
    /* fall through */
  }
  throw new InvalidInput('That cursor is not one this server gave out: call again without a cursor to start from the beginning.');
}

/** Escapes % and _ for a LIKE pattern (with ESCAPE '!'). */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}
