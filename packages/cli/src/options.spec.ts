import { describe, expect, it } from 'vitest';
import { describeProblem } from './api-client.js';
import { parseHeadersFile } from './commands/signing.js';
import { UsageError } from './errors.js';
import { parseDuration, parseTime } from './options.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['500ms', 500],
    ['30s', 30_000],
    ['30', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('%s → %d ms', (raw, ms) => expect(parseDuration(raw, 'x')).toBe(ms));

  it.each(['', 'abc', '5w', '-1s', '1 h'])('rejects %j', (raw) => {
    expect(() => parseDuration(raw, 'timeout')).toThrow(UsageError);
    expect(() => parseDuration(raw, 'timeout')).toThrow(/--timeout/);
  });
});

describe('parseTime', () => {
  const now = Date.parse('2025-01-13T12:00:00Z');
  it.each<[string, string]>([
    ['2025-01-13T10:00:00Z', '2025-01-13T10:00:00.000Z'],
    ['2025-01-13T10:00:00+01:00', '2025-01-13T09:00:00.000Z'],
    ['2025-01-13', '2025-01-13T00:00:00.000Z'],
    ['now', '2025-01-13T12:00:00.000Z'],
    ['2h', '2025-01-13T10:00:00.000Z'],
    ['7d', '2025-01-06T12:00:00.000Z'],
  ])('%s → %s', (raw, iso) => expect(parseTime(raw, 'since', now)).toBe(iso));

  it.each(['yesterday', '12', '2025-13-45', ''])('rejects %j naming the flag', (raw) => {
    expect(() => parseTime(raw, 'since', now)).toThrow(/--since must be an ISO-8601 time/);
  });
});

describe('describeProblem', () => {
  it.each<[number, object | undefined, string]>([
    [
      400,
      { title: 'Bad Request', detail: 'Invalid body.', errors: [{ field: 'url', message: 'must be a URL' }] },
      'invalid request (400 Bad Request): Invalid body; url: must be a URL',
    ],
    // A field error the detail already spells out is not repeated.
    [
      400,
      {
        title: 'Bad Request',
        detail: 'url: must be a URL',
        errors: [{ field: 'url', message: 'must be a URL' }],
      },
      'invalid request (400 Bad Request): url: must be a URL',
    ],
    [409, { title: 'Conflict', detail: 'endpoint is disabled' }, '409 Conflict: endpoint is disabled'],
    [403, { title: 'Forbidden' }, '403 Forbidden'],
    [500, undefined, '500 Internal Server Error'],
  ])('%d %j → %j', (status, problem, line) => {
    expect(describeProblem(status, problem, 'Internal Server Error')).toBe(line);
  });
});

describe('parseHeadersFile', () => {
  it('reads JSON objects and "Name: value" lines (skipping a status line)', () => {
    expect(parseHeadersFile('{"webhook-id":"evt_1","x":["a","b"]}', 'f')).toEqual({
      'webhook-id': 'evt_1',
      x: 'a, b',
    });
    expect(
      parseHeadersFile('HTTP/1.1 200 OK\r\nwebhook-id: evt_1\r\nX-Webhook-Signature: t=1,v1=ab\r\n\r\n', 'f'),
    ).toEqual({
      'webhook-id': 'evt_1',
      'X-Webhook-Signature': 't=1,v1=ab',
    });
    expect(() => parseHeadersFile('nothing here', 'f')).toThrow(UsageError);
  });
});
