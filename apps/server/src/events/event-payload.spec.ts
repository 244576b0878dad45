import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  eventDataProblem,
  MAX_EVENT_DATA_DEPTH,
  publishRequestHash,
  serializePayload,
} from './event-payload';

describe('serializePayload', () => {
  it('is the exact §4 body: id, type, created_at, data in that order', () => {
    const body = serializePayload({
      id: 'evt_1',
      type: 'invoice.created',
      createdAt: new Date('2025-01-13T12:35:00Z'),
      data: { amount: 1 },
    });
    expect(body).toBe(
      '{"id":"evt_1","type":"invoice.created","created_at":"2025-01-13T12:35:00.000Z","data":{"amount":1}}',
    );
  });
});

describe('publishRequestHash', () => {
  it('ignores key order but not values, types or tenants', () => {
    const base = publishRequestHash({ tenantId: 't', type: 'a', data: { x: 1, y: [1, { b: 2, a: 1 }] } });
    expect(publishRequestHash({ tenantId: 't', type: 'a', data: { y: [1, { a: 1, b: 2 }], x: 1 } })).toBe(
      base,
    );
    expect(publishRequestHash({ tenantId: 't', type: 'a', data: { x: 2, y: [1, { a: 1, b: 2 }] } })).not.toBe(
      base,
    );
    expect(publishRequestHash({ tenantId: 't', type: 'b', data: { x: 1, y: [1, { a: 1, b: 2 }] } })).not.toBe(
      base,
    );
    expect(publishRequestHash({ tenantId: 'u', type: 'a', data: { x: 1, y: [1, { a: 1, b: 2 }] } })).not.toBe(
      base,
    );
  });

  it('canonicalJson keeps array order', () => {
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson({ b: null, a: 'x' })).toBe('{"a":"x","b":null}');
  });
});

describe('eventDataProblem', () => {
  /** `levels` nested containers, alternating objects and arrays, the outermost an object. */
  function nested(levels: number): unknown {
    let value: unknown = 1;
    for (let level = levels; level >= 1; level--) value = level % 2 === 1 ? { k: value } : [value];
    return value;
  }

  it.each([
    [{}, null],
    [{ a: 1, b: 'x', c: null, d: [1, 2, { e: true }] }, null],
    [nested(MAX_EVENT_DATA_DEPTH), null],
    [nested(MAX_EVENT_DATA_DEPTH + 1), /deeper than 32/],
    [{ wide: Array.from({ length: 1000 }, () => ({ a: [1] })) }, null],
  ])('%#', (value, expected) => {
    const problem = eventDataProblem(value);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('stays shallow on very deep input (it must not overflow the stack itself)', () => {
    const text = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(eventDataProblem(JSON.parse(text))).toMatch(/deeper than/);
  });
});
