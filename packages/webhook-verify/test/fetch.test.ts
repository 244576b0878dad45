import { describe, expect, it } from 'vitest';
import { verifyRequest, WebhookVerificationError } from '../src/fetch.js';
import { sign } from '../src/index.js';
import { BODY, SECRET_A } from './support.js';

function request(body = BODY, headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1' })) {
  return new Request('https://example.test/webhooks', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('verifyRequest', () => {
  it('verifies a Fetch Request and returns the event', async () => {
    await expect(verifyRequest(request(), SECRET_A)).resolves.toEqual(JSON.parse(BODY));
  });

  it('rejects a tampered body', async () => {
    const error = await verifyRequest(request(BODY.replace('paid', 'void')), SECRET_A).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ code: 'signature_mismatch' });
  });

  it('says to call it first when the body was already read', async () => {
    const req = request();
    await req.json();
    await expect(verifyRequest(req, SECRET_A)).rejects.toMatchObject({
      code: 'invalid_payload',
      message: expect.stringMatching(/call verifyRequest\(\) first/),
    });
  });
});
