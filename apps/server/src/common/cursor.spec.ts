import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, toPage } from './cursor';

describe('cursor', () => {
  it('round-trips an id and is opaque', () => {
    const id = 'evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y';
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain('evt_');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each(['', 'not base64!', encodeCursor('hello'), encodeCursor("evt_x' OR '1'='1")])(
    'rejects %j',
    (cursor) => {
      expect(decodeCursor(cursor)).toBeNull();
    },
  );

  it('toPage trims the look-ahead row and points the cursor at the last row shown', () => {
    const rows = ['c', 'b', 'a'].map((letter) => ({
      id: `evt_01JH2Y4S8M1V8X9Q2W3E4R5T6${letter.toUpperCase()}`,
    }));
    const page = toPage(rows, 2, (row) => row.id);
    expect(page.data).toEqual([rows[0]?.id, rows[1]?.id]);
    expect(decodeCursor(page.next_cursor ?? '')).toBe(rows[1]?.id);
    expect(toPage(rows, 3, (row) => row.id).next_cursor).toBeNull();
  });
});
