import { describe, expect, it } from 'vitest';
import {
  allowedInFlight,
  CIRCUIT_OPEN_AFTER_FAILURES,
  DisableRule,
  FailureStreak,
  mayHandOff,
  nextStreak,
  shouldDisableFailingEndpoint,
} from './endpoint-health';

const now = new Date('2025-01-13T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const DAY = 86_400_000;
const rule: DisableRule = { disableAfterMs: 5 * DAY, minFailures: 10 };

describe('nextStreak', () => {
  it.each<[string, FailureStreak, boolean, FailureStreak]>([
    [
      'first failure starts the streak now',
      { consecutiveFailures: 0, failingSince: null },
      false,
      { consecutiveFailures: 1, failingSince: now },
    ],
    [
      'later failures keep the start',
      { consecutiveFailures: 3, failingSince: ago(DAY) },
      false,
      { consecutiveFailures: 4, failingSince: ago(DAY) },
    ],
    [
      'a success ends the streak',
      { consecutiveFailures: 30, failingSince: ago(4 * DAY) },
      true,
      { consecutiveFailures: 0, failingSince: null },
    ],
    [
      'a success on a healthy endpoint stays healthy',
      { consecutiveFailures: 0, failingSince: null },
      true,
      { consecutiveFailures: 0, failingSince: null },
    ],
  ])('%s', (_name, streak, succeeded, expected) => {
    expect(nextStreak(streak, succeeded, now)).toEqual(expected);
  });
});

describe('shouldDisableFailingEndpoint', () => {
  it.each<[string, FailureStreak, DisableRule, boolean]>([
    ['healthy', { consecutiveFailures: 0, failingSince: null }, rule, false],
    ['old and long enough', { consecutiveFailures: 10, failingSince: ago(5 * DAY) }, rule, true],
    ['older and longer', { consecutiveFailures: 50, failingSince: ago(9 * DAY) }, rule, true],
    ['old but too short', { consecutiveFailures: 9, failingSince: ago(6 * DAY) }, rule, false],
    ['long but too young', { consecutiveFailures: 100, failingSince: ago(5 * DAY - 1) }, rule, false],
    ['exactly at both limits', { consecutiveFailures: 10, failingSince: ago(5 * DAY) }, rule, true],
    ['a count without a start is no streak', { consecutiveFailures: 12, failingSince: null }, rule, false],
    [
      'zero-age rule disables on the Nth failure',
      { consecutiveFailures: 3, failingSince: now },
      { disableAfterMs: 0, minFailures: 3 },
      true,
    ],
    [
      'zero-age rule waits for the Nth failure',
      { consecutiveFailures: 2, failingSince: now },
      { disableAfterMs: 0, minFailures: 3 },
      false,
    ],
    [
      'min failures 0 still needs one failure',
      { consecutiveFailures: 0, failingSince: ago(DAY) },
      { disableAfterMs: 0, minFailures: 0 },
      false,
    ],
  ])('%s', (_name, streak, r, expected) => {
    expect(shouldDisableFailingEndpoint(streak, now, r)).toBe(expected);
  });
});

describe('allowedInFlight', () => {
  it.each<[number, number, number]>([
    [10, 0, 10],
    [3, CIRCUIT_OPEN_AFTER_FAILURES - 1, 3],
    [10, CIRCUIT_OPEN_AFTER_FAILURES, 1],
    [10, 1_000, 1],
    [0, 0, 1],
  ])('max %i with %i failures in a row → %i', (maxConcurrency, consecutiveFailures, expected) => {
    expect(allowedInFlight({ maxConcurrency, consecutiveFailures })).toBe(expected);
  });
});

describe('mayHandOff', () => {
  it.each([
    [0, null, true],
    [1, null, false],
    [CIRCUIT_OPEN_AFTER_FAILURES, null, false],
    [0, 5, false],
    [2, 5, false],
  ])('%i failures in a row, rate limit %s → %s', (consecutiveFailures, rateLimitPerSecond, expected) => {
    expect(mayHandOff({ consecutiveFailures, rateLimitPerSecond })).toBe(expected);
  });
});
