import { describe, expect, it } from 'vitest';
import { headersProblem, metadataProblem } from './endpoint-rules';

describe('headersProblem', () => {
  it('accepts custom headers', () => {
    expect(headersProblem({ Authorization: 'Bearer x', 'X-Team': 'billing' })).toBeNull();
    expect(headersProblem({})).toBeNull();
  });

  it.each([
    'Content-Type',
    'content-type',
    'User-Agent',
    'Host',
    'Content-Length',
    'X-Webhook-Event',
    'X-WEBHOOK-SIGNATURE',
    'webhook-id',
    'Webhook-Timestamp',
    'webhook-signature',
  ])('refuses the reserved %s', (name) => {
    expect(headersProblem({ [name]: 'x' })).toMatch(/set by the server/);
  });

  it.each([
    [[], /object/],
    ['x', /object/],
    [{ 'bad name': 'x' }, /not a valid header name/],
    [{ 'X-A': 1 }, /string/],
    [{ 'X-A': 'a\r\nX-B: b' }, /line breaks/],
    [{ 'X-A': 'a\nb' }, /line breaks/],
    [Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v'])), /at most 20/],
    [{ [`X-${'a'.repeat(200)}`]: 'v' }, /at most 100 characters/],
    [{ 'X-A': 'a\u0000b' }, /line breaks/],
    [{ 'X-A': 'a\u0007b' }, /printable/],
    [{ 'X-A': 'caf\u20ac' }, /printable/],
    [{ 'X-A': 'x'.repeat(1001) }, /longer than 1000/],
    [{ 'X:A': 'x' }, /not a valid header name/],
    [{ 'X-Ä': 'x' }, /not a valid header name/],
    [{ '': 'x' }, /not a valid header name/],
  ])('refuses %j', (value, message) => {
    expect(headersProblem(value)).toMatch(message);
  });
});

describe('metadataProblem', () => {
  it('accepts string values and refuses others', () => {
    expect(metadataProblem({ team: 'ops' })).toBeNull();
    expect(metadataProblem({ n: 1 })).toMatch(/string/);
    expect(metadataProblem([])).toMatch(/object/);
    expect(metadataProblem(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))).toMatch(
      /at most 50 keys/,
    );
    expect(metadataProblem({ ['k'.repeat(101)]: 'v' })).toMatch(/1–100/);
    // 50 keys of 1000 characters each pass the per-key checks but not the 8 KiB total.
    const big = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    expect(metadataProblem(big)).toMatch(/8192 bytes/);
    const fits = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    expect(metadataProblem(fits)).toBeNull();
  });
});
