import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe('newId', () => {
  it.each(['wh', 'evt', 'dlv', 'att', 'rpl', 'key'] as const)('%s_ + ULID', (prefix) => {
    const id = newId(prefix);
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(isId(id, prefix)).toBe(true);
  });

  it('sorts in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newId('evt'));
    expect([...ids].sort()).toEqual(ids);
  });

  it('isId checks the prefix and shape', () => {
    expect(isId(newId('evt'), 'wh')).toBe(false);
    expect(isId('evt_123', 'evt')).toBe(false);
    expect(isId("evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' OR 1=1", 'evt')).toBe(false);
  });

  it('draws fresh randomness across the pool boundary', () => {
    // 16 random characters per id in a new millisecond: 600 ids cross the 4096-byte pool twice.
    const randomParts = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const id = newId('att');
      randomParts.add(id.slice(-16));
      const until = Date.now() + 1;
      while (Date.now() < until) {} // the next id starts a new millisecond (no monotonic increment)
    }
    expect(randomParts.size).toBe(600);
  });
});
