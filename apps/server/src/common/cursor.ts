/**
 * List cursors are opaque to clients: base64url of the last id of the page. Lists order by id
 * (a ULID, so creation order) descending, and the next page starts below the cursor's id.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/** The id inside a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^(wh|evt|dlv|att|rpl|key)_[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? id : null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Builds a page from `limit + 1` rows fetched newest first: the extra row only says "there is more". */
export function toPage<Row extends { id: string }, T>(
  rows: Row[],
  limit: number,
  present: (row: Row) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(present),
    next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  };
}
