// What every list tool shares: limit and cursor in, nextCursor out, and a page
// trimmed so the answer stays under the size cap however large the rows are.
import { z } from 'zod';

export const pageFields = {
  limit: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .optional()
    .describe('How many to return, 1-200 (default 50).'),
  cursor: z
    .string()
    .max(500, 'is not a cursor this server gave out')
    .optional()
    .describe('nextCursor from the previous page; omit for the first page.'),
};

export const nextCursorField = z.string().optional().describe('Pass as cursor to get the next page; absent on the last page.');

/** Budget for the items of one page: the whole answer must stay under 50 KB. */
const PAGE_BUDGET_BYTES = 44 * 1024;

export function fitPage<T>(page: { items: T[]; cursorAfter: (item: T) => string; more: boolean }): {
  items: T[];
  nextCursor?: string;
} {
  let used = 0;
  let n = 0;
  for (const item of page.items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (n > 0 && used + size > PAGE_BUDGET_BYTES) break;
    used += size;
    n++;
  }
  const items = page.items.slice(0, n);
  const cut = n < page.items.length;
  const last = items.at(-1);
  return cut || (page.more && last !== undefined) ? { items, nextCursor: page.cursorAfter(last as T) } : { items };
}
