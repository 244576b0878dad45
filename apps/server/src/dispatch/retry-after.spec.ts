import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after';

const now = new Date('2025-01-13T12:00:00.000Z');

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined | null, number | null]>([
    ['0', 0],
    ['1', 1_000],
    ['120', 120_000],
    [' 30 ', 30_000],
    [['45', '90'], 45_000],
    ['86400', MAX_RETRY_AFTER_MS],
    ['86401', MAX_RETRY_AFTER_MS],
    ['999999999999999999999', MAX_RETRY_AFTER_MS],
    ['Mon, 13 Jan 2025 12:01:00 GMT', 60_000],
    ['Mon, 13 Jan 2025 12:00:00 GMT', 0],
    ['Sun, 12 Jan 2025 12:00:00 GMT', 0], // in the past: no extra wait
    ['Wed, 15 Jan 2025 12:00:00 GMT', MAX_RETRY_AFTER_MS], // two days: capped
    ['Monday, 13-Jan-25 12:00:30 GMT', 30_000], // RFC 850
    ['2025-01-13T12:00:10Z', 10_000],
    [undefined, null],
    [null, null],
    ['', null],
    ['   ', null],
    [[], null],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
    ['5s', null],
    ['Mon, 99 Foo 2025 xx GMT', null],
    ['12 apples', null],
  ])('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
