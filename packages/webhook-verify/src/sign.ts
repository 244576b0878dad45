import { createHmac } from 'node:crypto';
import { type Payload, type Secret, secretList, standardKey } from './signature.js';

export interface SignInput {
  /** The exact body that will be sent. */
  payload: Payload;
  /** One secret, or several during a rotation: one signature per secret, in this order. */
  secret: Secret;
  /** The event id; sent as webhook-id. */
  id: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/**
 * The signature headers of one delivery, named exactly as they go on the wire. A type alias, not an
 * interface, so it can be passed straight to fetch() or verify(), which take string-indexed records.
 */
export type SignatureHeaders = {
  'X-Webhook-Signature': string;
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Signs a payload the way Acme Webhooks delivers it: both the X-Webhook-Signature header and the
 * Standard Webhooks headers. The delivery server signs with this; use it to test your own handler.
 */
export function sign({
  payload,
  secret,
  id,
  timestamp = Math.floor(Date.now() / 1000),
}: SignInput): SignatureHeaders {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new TypeError(
      'payload must be the exact body to send (a string or bytes): JSON.stringify the event first.',
    );
  }
  if (typeof id !== 'string' || !/^[^\s,]+$/.test(id)) {
    throw new TypeError('id must be a non-empty string without whitespace or commas (the event id).');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be a whole number of unix seconds.');
  }
  const secrets = secretList(secret);
  const standardKeys = secrets.map((s, i) => {
    const key = standardKey(s);
    if (!key) {
      throw new TypeError(
        `secret${secrets.length > 1 ? ` #${i + 1}` : ''} must be "whsec_" followed by base64 ` +
          '(Standard Webhooks signatures use the decoded bytes as the key).',
      );
    }
    return key;
  });

  const acme = secrets.map(
    (s) => `v1=${createHmac('sha256', s).update(`${timestamp}.`).update(payload).digest('hex')}`,
  );
  const standard = standardKeys.map(
    (key) => `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(payload).digest('base64')}`,
  );
  return {
    'X-Webhook-Signature': `t=${timestamp},${acme.join(',')}`,
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standard.join(' '),
  };
}
