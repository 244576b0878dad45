import { describe, expect, it } from 'vitest';
import { AttemptResultSummary, decideOutcome, Outcome } from './attempt-outcome';

const now = new Date('2025-01-13T12:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const schedule = [1_000, 10_000, 60_000];
const middle = () => 0.5; // no jitter
const low = () => 0; // −20 %
const high = () => 1; // +20 %

const ok: AttemptResultSummary = { statusCode: 200, errorCode: null };
const status = (code: number, retryAfter?: string): AttemptResultSummary => ({
  statusCode: code,
  errorCode: code >= 300 && code < 400 ? 'redirect' : 'http_status',
  retryAfter: retryAfter ?? null,
});
const failure = (errorCode: AttemptResultSummary['errorCode']): AttemptResultSummary => ({
  statusCode: null,
  errorCode,
});

describe('decideOutcome', () => {
  it.each<[string, AttemptResultSummary, number, () => number, Outcome]>([
    ['200 succeeds', ok, 1, middle, { status: 'succeeded', nextAttemptAt: null }],
    [
      '204 succeeds',
      { statusCode: 204, errorCode: null },
      2,
      middle,
      { status: 'succeeded', nextAttemptAt: null },
    ],
    [
      '299 succeeds',
      { statusCode: 299, errorCode: null },
      3,
      middle,
      { status: 'succeeded', nextAttemptAt: null },
    ],
    ['success on the last allowed attempt', ok, 4, middle, { status: 'succeeded', nextAttemptAt: null }],
    [
      '500 on attempt 1 waits retry 1',
      status(500),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    [
      '500 on attempt 2 waits retry 2',
      status(500),
      2,
      middle,
      { status: 'retrying', nextAttemptAt: at(10_000) },
    ],
    ['jitter low bound', status(500), 2, low, { status: 'retrying', nextAttemptAt: at(8_000) }],
    ['jitter high bound', status(500), 2, high, { status: 'retrying', nextAttemptAt: at(12_000) }],
    ['500 on the last attempt is dead', status(500), 4, middle, { status: 'dead', nextAttemptAt: null }],
    [
      'attempts beyond the schedule are dead',
      status(500),
      9,
      middle,
      { status: 'dead', nextAttemptAt: null },
    ],
    [
      '302 is a failure, not followed',
      status(302),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    ['301 is a failure', status(301), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    ['304 is a failure', status(304), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    [
      '100-ish informational never counts as success',
      status(199),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    ['400 retries', status(400), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    ['404 retries', status(404), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    [
      '410 is dead and disables the endpoint',
      status(410),
      1,
      middle,
      { status: 'dead', nextAttemptAt: null, endpointAction: 'disable_gone' },
    ],
    [
      '410 on the last attempt still disables',
      status(410),
      4,
      middle,
      { status: 'dead', nextAttemptAt: null, endpointAction: 'disable_gone' },
    ],
    ['timeout retries', failure('timeout'), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    [
      'refused retries',
      failure('connection_refused'),
      2,
      middle,
      { status: 'retrying', nextAttemptAt: at(10_000) },
    ],
    [
      'reset retries',
      failure('connection_reset'),
      3,
      middle,
      { status: 'retrying', nextAttemptAt: at(60_000) },
    ],
    ['dns retries', failure('dns'), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    ['tls retries', failure('tls'), 1, middle, { status: 'retrying', nextAttemptAt: at(1_000) }],
    [
      'blocked address retries',
      failure('blocked_address'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    [
      'a 2xx with an error code is a failure',
      { statusCode: 200, errorCode: 'timeout' },
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    // Retry-After on 429/503: the later of the jittered schedule and the asked time, no extra retry.
    [
      '429 asking longer waits longer',
      status(429, '30'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(30_000) },
    ],
    [
      '503 asking longer waits longer',
      status(503, '30'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(30_000) },
    ],
    [
      '429 asking shorter keeps the schedule',
      status(429, '5'),
      2,
      middle,
      { status: 'retrying', nextAttemptAt: at(10_000) },
    ],
    [
      '429 asking 0 keeps the schedule',
      status(429, '0'),
      1,
      low,
      { status: 'retrying', nextAttemptAt: at(800) },
    ],
    [
      '503 with an HTTP date',
      status(503, 'Mon, 13 Jan 2025 12:02:00 GMT'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(120_000) },
    ],
    [
      'Retry-After capped at 24 h',
      status(429, '999999'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(86_400_000) },
    ],
    [
      'garbage Retry-After ignored',
      status(429, 'later'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    [
      'Retry-After on a 500 ignored',
      status(500, '30'),
      1,
      middle,
      { status: 'retrying', nextAttemptAt: at(1_000) },
    ],
    [
      'Retry-After adds no extra retry',
      status(429, '30'),
      4,
      middle,
      { status: 'dead', nextAttemptAt: null },
    ],
  ])('%s', (_name, result, attemptNumber, random, expected) => {
    expect(decideOutcome({ result, attemptNumber, schedule, now, random })).toEqual(expected);
  });

  it('an empty schedule makes the first failure final', () => {
    expect(decideOutcome({ result: status(500), attemptNumber: 1, schedule: [], now })).toEqual({
      status: 'dead',
      nextAttemptAt: null,
    });
  });

  it('without retryOnFailure a failure is final but a success still succeeds', () => {
    expect(
      decideOutcome({ result: status(500), attemptNumber: 1, schedule, now, retryOnFailure: false }),
    ).toEqual({
      status: 'dead',
      nextAttemptAt: null,
    });
    expect(decideOutcome({ result: ok, attemptNumber: 5, schedule, now, retryOnFailure: false }).status).toBe(
      'succeeded',
    );
    expect(
      decideOutcome({ result: status(410), attemptNumber: 1, schedule, now, retryOnFailure: false })
        .endpointAction,
    ).toBe('disable_gone');
  });
});
