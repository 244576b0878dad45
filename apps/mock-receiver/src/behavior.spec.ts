import { describe, expect, it } from 'vitest';
import { type Behavior, BehaviorSpecError, decideOutcome, parseBehavior } from './behavior.js';
import { mulberry32, pathSeed } from './random.js';

describe('parseBehavior', () => {
  it.each<[string, Omit<Behavior, 'spec'>]>([
    ['', {}],
    ['status:503', { status: 503 }],
    ['sequence:500/503/200', { sequence: [500, 503, 200].map((status) => ({ kind: 'status', status })) }],
    [
      'sequence:timeout/reset/201',
      { sequence: [{ kind: 'timeout' }, { kind: 'reset' }, { kind: 'status', status: 201 }] },
    ],
    ['fail-first:3', { failFirst: 3 }],
    ['flaky:0.25', { flaky: 0.25 }],
    ['flaky:1', { flaky: 1 }],
    ['flaky:.5', { flaky: 0.5 }],
    ['delay:1500', { delayMs: 1500 }],
    ['timeout', { timeout: true }],
    ['reset', { reset: true }],
    ['retry-after:30', { retryAfterSeconds: 30 }],
    [' fail-first:2 , status:429 ,retry-after:10 ', { failFirst: 2, status: 429, retryAfterSeconds: 10 }],
    ['flaky:0.3,timeout,delay:10', { flaky: 0.3, timeout: true, delayMs: 10 }],
  ])('parses %j', (spec, expected) => {
    const { spec: normalised, ...rest } = parseBehavior(spec);
    expect(rest).toEqual(expected);
    expect(normalised).toBe(
      spec
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .join(','),
    );
  });

  it.each<[string, string]>([
    ['bogus', 'bogus'],
    ['status:200,wat:1', 'wat:1'],
    ['status', 'status'],
    ['status:abc', 'status:abc'],
    ['status:99', 'status:99'],
    ['status:600', 'status:600'],
    ['sequence:500/x', 'sequence:500/x'],
    ['fail-first:-1', 'fail-first:-1'],
    ['flaky:1.5', 'flaky:1.5'],
    ['flaky:abc', 'flaky:abc'],
    ['delay:1s', 'delay:1s'],
    ['timeout:5', 'timeout:5'],
    ['status:500,status:503', 'status:503'],
    ['timeout,reset', 'reset'],
    ['status:500,timeout', 'timeout'],
  ])('rejects %j naming the token %j', (spec, token) => {
    let caught: unknown;
    try {
      parseBehavior(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BehaviorSpecError);
    expect((caught as BehaviorSpecError).token).toBe(token);
    expect((caught as BehaviorSpecError).message).toContain(`"${token}"`);
  });
});

/** The answers to the first n requests, as compact strings: `503`, `503 ra=10`, `timeout`, `reset`. */
function answers(spec: string, n: number, seed = 1): string[] {
  const behavior = parseBehavior(spec);
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const outcome = decideOutcome(behavior, i, random);
    if (outcome.kind !== 'status') return outcome.kind;
    return outcome.retryAfterSeconds === undefined
      ? `${outcome.status}`
      : `${outcome.status} ra=${outcome.retryAfterSeconds}`;
  });
}

describe('decideOutcome', () => {
  it.each<[string, string[]]>([
    ['', ['200', '200']],
    ['status:503', ['503', '503']],
    ['status:204', ['204', '204']],
    ['sequence:500/503', ['500', '503', '200', '200']],
    ['sequence:500/timeout/reset', ['500', 'timeout', 'reset', '200']],
    ['fail-first:2', ['500', '500', '200', '200']],
    ['fail-first:2,status:429', ['429', '429', '200']],
    ['fail-first:1,timeout', ['timeout', '200']],
    ['fail-first:1,reset', ['reset', '200']],
    ['fail-first:0', ['200']],
    ['timeout', ['timeout', 'timeout']],
    ['reset', ['reset', 'reset']],
    ['status:429,retry-after:30', ['429 ra=30', '429 ra=30']],
    ['fail-first:1,status:503,retry-after:5', ['503 ra=5', '200']],
    // The server honours Retry-After only on 429 and 503, so retry-after without a status fails with 503.
    ['fail-first:1,retry-after:5', ['503 ra=5', '200']],
    ['retry-after:5', ['503 ra=5']],
    // A success never carries Retry-After.
    ['status:200,retry-after:5', ['200']],
    ['sequence:500/200,retry-after:7', ['500 ra=7', '200', '200']],
    ['flaky:0', ['200', '200', '200']],
    ['flaky:1', ['500', '500', '500']],
    ['flaky:1,status:503', ['503', '503']],
    ['sequence:201,fail-first:3', ['201', '500', '500', '200']],
  ])('%j answers %j', (spec, expected) => {
    expect(answers(spec, expected.length)).toEqual(expected);
  });

  it('applies delay to every answer', () => {
    const behavior = parseBehavior('fail-first:1,delay:250');
    expect(decideOutcome(behavior, 0, Math.random)).toEqual({ kind: 'status', status: 500, delayMs: 250 });
    expect(decideOutcome(behavior, 1, Math.random)).toEqual({ kind: 'status', status: 200, delayMs: 250 });
  });

  it('flaky is deterministic for a seed and roughly honours p', () => {
    const first = answers('flaky:0.3', 200, 42);
    expect(answers('flaky:0.3', 200, 42)).toEqual(first);
    expect(answers('flaky:0.3', 200, 43)).not.toEqual(first);
    const failures = first.filter((a) => a === '500').length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);
  });

  it('gives each path its own stream', () => {
    expect(pathSeed(7, '/a')).toBe(pathSeed(7, '/a'));
    expect(pathSeed(7, '/a')).not.toBe(pathSeed(7, '/b'));
    expect(pathSeed(7, '/a')).not.toBe(pathSeed(8, '/a'));
  });
});
