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
  ])('refuses %j', (value, message) => {
    expect(headersProblem(value)).toMatch(message);
  });
});

describe('metadataProblem', () => {
  it('accepts string values and refuses others', () => {
    expect(metadataProblem({ team: 'ops' })).toBeNull();
    expect(metadataProblem({ n: 1 })).toMatch(/string/);
    expect(metadataProblem([])).toMatch(/object/);
  });
});
