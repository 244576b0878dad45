import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { sign, verify, verifyAsync } from '../src/index.js';
import { BODY, SECRET_A, SECRET_B } from './support.js';

// The reference implementation of the spec the webhook-* headers follow, in both directions.
describe('interoperability with the standardwebhooks package', () => {
  it('verifies what standardwebhooks signs', async () => {
    const timestamp = new Date();
    const seconds = Math.floor(timestamp.getTime() / 1000);
    const signature = new Webhook(SECRET_A).sign('msg_1', timestamp, BODY);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(seconds),
      'webhook-signature': signature,
    };
    expect(verify(BODY, headers, SECRET_A)).toEqual(JSON.parse(BODY));
    await expect(verifyAsync(BODY, headers, SECRET_A)).resolves.toEqual(JSON.parse(BODY));
    expect(() => verify(BODY, headers, SECRET_B)).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
  });

  it('produces signatures standardwebhooks verifies, one per secret during a rotation', () => {
    const headers = sign({ payload: BODY, secret: [SECRET_B, SECRET_A], id: 'evt_1' });
    const standard = {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    };
    expect(new Webhook(SECRET_A).verify(BODY, standard)).toEqual(JSON.parse(BODY));
    expect(new Webhook(SECRET_B).verify(BODY, standard)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(SECRET_A).verify(`${BODY} `, standard)).toThrow();
  });
});
