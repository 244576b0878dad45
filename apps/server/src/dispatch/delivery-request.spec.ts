import { createHmac } from 'node:crypto';
import { verify } from '@acme/webhook-verify';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { buildDeliveryRequest, DeliveryRequestInput } from './delivery-request';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const oldSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const now = new Date('2025-01-13T12:35:00.400Z');
const payload =
  '{"id":"evt_9d3","type":"invoice.created","created_at":"2025-01-13T12:35:00.000Z","data":{"n":1.50}}';

const input = (overrides: Partial<DeliveryRequestInput> = {}): DeliveryRequestInput => ({
  url: 'https://hooks.example.com/acme',
  customHeaders: {},
  eventId: 'evt_9d3',
  eventType: 'invoice.created',
  payload,
  secrets: [secret],
  userAgent: 'Acme-Webhooks/1.0',
  now,
  ...overrides,
});

describe('buildDeliveryRequest', () => {
  it('sends the stored payload unchanged with the §4 headers', () => {
    const request = buildDeliveryRequest(input());
    expect(request.url).toBe('https://hooks.example.com/acme');
    expect(request.body).toBe(payload);
    expect(request.headers).toMatchObject({
      'Content-Type': 'application/json',
      'User-Agent': 'Acme-Webhooks/1.0',
      'X-Webhook-Event': 'invoice.created',
      'webhook-id': 'evt_9d3',
      'webhook-timestamp': '1736771700',
    });
    const expected = createHmac('sha256', secret).update(`1736771700.${payload}`).digest('hex');
    expect(request.headers['X-Webhook-Signature']).toBe(`t=1736771700,v1=${expected}`);
  });

  it('verifies with @acme/webhook-verify and with the standardwebhooks package', () => {
    const request = buildDeliveryRequest(input());
    expect(verify(request.body, request.headers, secret, { now: now.getTime() })).toMatchObject({
      id: 'evt_9d3',
    });
    const { 'X-Webhook-Signature': _acme, ...standard } = request.headers;
    expect(verify(request.body, standard, secret, { now: now.getTime() })).toMatchObject({ id: 'evt_9d3' });
    const wh = new Webhook(secret.slice('whsec_'.length));
    const originalNow = Date.now;
    Date.now = () => now.getTime();
    try {
      expect(wh.verify(request.body, request.headers)).toMatchObject({ id: 'evt_9d3' });
    } finally {
      Date.now = originalNow;
    }
  });

  it('signs with every active secret, newest first', () => {
    const request = buildDeliveryRequest(input({ secrets: [secret, oldSecret] }));
    expect(request.headers['X-Webhook-Signature']).toMatch(/^t=1736771700,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verify(request.body, request.headers, oldSecret, { now: now.getTime() })).toBeTruthy();
    expect(verify(request.body, request.headers, secret, { now: now.getTime() })).toBeTruthy();
  });

  it('uses the attempt time as t', () => {
    const later = buildDeliveryRequest(input({ now: new Date(now.getTime() + 3_600_000) }));
    expect(later.headers['webhook-timestamp']).toBe('1736775300');
    expect(later.body).toBe(payload);
  });

  it('adds custom headers but never lets them replace reserved ones', () => {
    const request = buildDeliveryRequest(
      input({
        customHeaders: {
          Authorization: 'Bearer abc',
          'X-Tenant': 't1',
          'content-type': 'text/plain',
          'USER-AGENT': 'evil',
          'x-webhook-signature': 'forged',
          'Webhook-Id': 'evt_other',
          Host: 'internal',
          'Content-Length': '1',
          Connection: 'close',
          'Keep-Alive': 'timeout=1',
        },
      }),
    );
    expect(request.headers.Authorization).toBe('Bearer abc');
    expect(request.headers['X-Tenant']).toBe('t1');
    const lowerNames = Object.keys(request.headers).map((name) => name.toLowerCase());
    expect(new Set(lowerNames).size).toBe(lowerNames.length);
    expect(request.headers['Content-Type']).toBe('application/json');
    expect(request.headers['User-Agent']).toBe('Acme-Webhooks/1.0');
    expect(request.headers['webhook-id']).toBe('evt_9d3');
    expect(lowerNames).not.toContain('host');
    expect(lowerNames).not.toContain('content-length');
    expect(lowerNames).not.toContain('connection');
    expect(lowerNames).not.toContain('keep-alive');
  });

  it('accepts a missing custom header map', () => {
    expect(buildDeliveryRequest(input({ customHeaders: null })).headers['X-Webhook-Event']).toBe(
      'invoice.created',
    );
  });
});
