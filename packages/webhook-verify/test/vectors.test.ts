import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../src/crypto-node.js';
import { sign, verify, verifyAsync, WebhookVerificationError } from '../src/index.js';
import { createAsyncVerifier } from '../src/verify-async.js';
import { checkVector, SECRET_A, SECRET_B, vectors } from './support.js';

const verifiers = {
  'verify (node:crypto, sync)': verify,
  'verifyAsync (WebCrypto)': verifyAsync,
  'async pipeline on node:crypto (middlewares)': createAsyncVerifier(nodeCrypto),
};

describe.each(Object.entries(verifiers))('%s', (_name, verifier) => {
  it.each(vectors.map((v) => [v.name, v] as const))('vector %s', async (_n, vector) => {
    const result = await checkVector(verifier, vector, (e) => e instanceof WebhookVerificationError);
    if (result) expect(result.event).toEqual(result.expected);
  });
});

describe('sign reproduces the vectors', () => {
  const complete = vectors.filter(
    (v) => v.valid && v.headers['x-webhook-signature'] && v.headers['webhook-signature'],
  );

  it.each(complete.filter((v) => !v.name.startsWith('rotation')).map((v) => [v.name, v] as const))(
    '%s',
    (_n, vector) => {
      const headers = sign({
        payload: vector.body,
        secret: vector.secrets,
        id: vector.headers['webhook-id']!,
        timestamp: Number(vector.headers['webhook-timestamp']),
      });
      expect(headers).toEqual({
        'X-Webhook-Signature': vector.headers['x-webhook-signature'],
        'webhook-id': vector.headers['webhook-id'],
        'webhook-timestamp': vector.headers['webhook-timestamp'],
        'webhook-signature': vector.headers['webhook-signature'],
      });
    },
  );

  it('signs with every secret during a rotation, in the order given', () => {
    const vector = vectors.find((v) => v.name === 'rotation-consumer-has-old')!;
    const headers = sign({
      payload: vector.body,
      secret: [SECRET_B, SECRET_A],
      id: 'evt_9d3',
      timestamp: 1736771700,
    });
    expect(headers['X-Webhook-Signature']).toBe(vector.headers['x-webhook-signature']);
    expect(headers['webhook-signature']).toBe(vector.headers['webhook-signature']);
  });
});
