import { describe, expect, it } from 'vitest';
import { eventPatternProblem, matchesEventType } from './event-patterns';

describe('matchesEventType', () => {
  it.each([
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid.late', false],
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.line.added', true],
    [['invoice.*'], 'invoice', false],
    [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], 'invoice.', false],
    [['*'], 'anything.at.all', true],
    [['a.b', 'c.*'], 'c.d', true],
    [['Invoice.paid'], 'invoice.paid', false],
  ])('%j ∋ %s → %s', (patterns, type, expected) => {
    expect(matchesEventType(patterns, type)).toBe(expected);
  });
});

describe('eventPatternProblem', () => {
  it.each(['*', 'invoice.paid', 'invoice.*', 'a', 'a_b-c.d', 'x.y.*'])('accepts %j', (pattern) => {
    expect(eventPatternProblem(pattern)).toBeNull();
  });

  it.each([
    '',
    '**',
    '*.paid',
    'invoice.*.paid',
    'in*',
    'a..b',
    '.a',
    'a.',
    'has space',
    'a'.repeat(201),
    3,
    null,
  ])('rejects %j', (pattern) => {
    expect(eventPatternProblem(pattern)).toEqual(expect.any(String));
  });
});
