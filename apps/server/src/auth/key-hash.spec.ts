import { describe, expect, it } from 'vitest';
import { bearerToken, generateApiKey, hashApiKey, sameKey } from './key-hash';

describe('API key handling', () => {
  it('generates unguessable keys and stores only a SHA-256 hex hash', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(3));
  });

  it('compares keys of any length in constant time (hashes of equal length), without throwing', () => {
    expect(sameKey('admin-key-0123456789', 'admin-key-0123456789')).toBe(true);
    expect(sameKey('admin-key-0123456789', 'admin-key-012345678')).toBe(false);
    expect(sameKey('admin-key-0123456789', 'x'.repeat(10_000))).toBe(false);
    expect(sameKey('', 'admin-key-0123456789')).toBe(false);
  });

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer \tabc ', 'abc'],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer a b', null],
    ['Basic abc', null],
    ['abc', null],
    [undefined, null],
  ])('bearerToken(%j) → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
