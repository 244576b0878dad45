import { describe, expect, it } from 'vitest';
import { canonicalJson, publishRequestHash, serializePayload } from './event-payload';

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
