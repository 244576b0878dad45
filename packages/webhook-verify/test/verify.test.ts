import { describe, expect, it } from 'vitest';
import {
  createMemoryReplayGuard,
  type ReplayGuard,
  sign,
  verify,
  verifyAsync,
  WebhookVerificationError,
} from '../src/index.js';
import { acceptSignedRequest, parseSignedRequest } from '../src/signature.js';
import { BODY, SECRET_A, SECRET_B, T } from './support.js';

const NOW = T * 1000;

/** Both implementations behind one async signature, so every behaviour is checked on both. */
const implementations = {
  verify: async (...args: Parameters<typeof verify>) => verify(...args),
  verifyAsync,
};

async function failure(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected verification to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return error as WebhookVerificationError;
}

function standardOnly(headers: Record<string, string>): Record<string, string> {
  const { 'X-Webhook-Signature': _, ...rest } = headers;
  return rest;
}

describe.each(Object.entries(implementations))('%s', (_name, check) => {
  const headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1', timestamp: T });

  it('returns the parsed event, from either header scheme', async () => {
    expect(await check(BODY, headers, SECRET_A, { now: NOW })).toEqual(JSON.parse(BODY));
    expect(await check(BODY, standardOnly(headers), SECRET_A, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('accepts any one of several secrets', async () => {
    await expect(check(BODY, headers, [SECRET_B, SECRET_A], { now: NOW })).resolves.toBeTruthy();
    await expect(
      check(BODY, standardOnly(headers), [SECRET_B, SECRET_A], { now: NOW }),
    ).resolves.toBeTruthy();
    const error = await failure(check(BODY, headers, [SECRET_B, `${SECRET_B}x`], { now: NOW }));
    expect(error.code).toBe('signature_mismatch');
  });

  it('verifies a delivery signed during a rotation with either the old or the new secret', async () => {
    const rotated = sign({ payload: BODY, secret: [SECRET_B, SECRET_A], id: 'evt_1', timestamp: T });
    for (const secret of [SECRET_A, SECRET_B]) {
      await expect(check(BODY, rotated, secret, { now: NOW })).resolves.toBeTruthy();
      await expect(check(BODY, standardOnly(rotated), secret, { now: NOW })).resolves.toBeTruthy();
    }
  });

  it('checks the tolerance in both directions, naming the difference in seconds', async () => {
    await expect(check(BODY, headers, SECRET_A, { now: NOW + 300_000 })).resolves.toBeTruthy();
    await expect(check(BODY, headers, SECRET_A, { now: NOW - 300_000 })).resolves.toBeTruthy();
    const old = await failure(check(BODY, headers, SECRET_A, { now: NOW + 301_000 }));
    expect(old.code).toBe('timestamp_outside_tolerance');
    expect(old.message).toMatch(/301 seconds old.*clock/);
    const future = await failure(check(BODY, headers, SECRET_A, { now: () => NOW - 3_600_000 }));
    expect(future.code).toBe('timestamp_outside_tolerance');
    expect(future.message).toMatch(/3600 seconds in the future.*clock/);
    const strict = await failure(check(BODY, headers, SECRET_A, { now: NOW + 11_000, toleranceSeconds: 10 }));
    expect(strict.code).toBe('timestamp_outside_tolerance');
  });

  it('defaults to the real clock with a 300 s tolerance', async () => {
    const fresh = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1' });
    await expect(check(BODY, fresh, SECRET_A)).resolves.toBeTruthy();
    expect((await failure(check(BODY, headers, SECRET_A))).code).toBe('timestamp_outside_tolerance');
  });

  it('matches header names case-insensitively', async () => {
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(check(BODY, shouting, SECRET_A, { now: NOW })).resolves.toBeTruthy();
    const mixed = {
      'Webhook-Id': 'evt_1',
      'Webhook-Timestamp': String(T),
      'WEBHOOK-signature': headers['webhook-signature'],
    };
    await expect(check(BODY, mixed, SECRET_A, { now: NOW })).resolves.toBeTruthy();
  });

  it('reads Fetch Headers, Maps and string[] values', async () => {
    const rotated = sign({ payload: BODY, secret: [SECRET_B, SECRET_A], id: 'evt_1', timestamp: T });
    await expect(check(BODY, new Headers(headers), SECRET_A, { now: NOW })).resolves.toBeTruthy();
    await expect(check(BODY, new Map(Object.entries(headers)), SECRET_A, { now: NOW })).resolves.toBeTruthy();

    // Repeated fields, as Node's req.headers and Fetch Headers present them.
    const [sigB, sigA] = rotated['webhook-signature'].split(' ') as [string, string];
    const repeated = { ...standardOnly(rotated), 'webhook-signature': [sigB, sigA] };
    await expect(check(BODY, repeated, SECRET_A, { now: NOW })).resolves.toBeTruthy();
    const fetchHeaders = new Headers(standardOnly(rotated));
    fetchHeaders.set('webhook-signature', sigB);
    fetchHeaders.append('webhook-signature', sigA);
    await expect(check(BODY, fetchHeaders, SECRET_A, { now: NOW })).resolves.toBeTruthy();
    const map = new Map<string, string | string[]>([
      ['X-Webhook-Signature', [rotated['X-Webhook-Signature']]],
    ]);
    await expect(check(BODY, map, SECRET_A, { now: NOW })).resolves.toBeTruthy();
  });

  it('takes the payload as a string, Buffer or Uint8Array', async () => {
    const unicode = JSON.stringify({ id: 'evt_u', type: 't', created_at: '', data: { name: 'Zoë 🚀' } });
    const signed = sign({ payload: unicode, secret: SECRET_A, id: 'evt_u', timestamp: T });
    for (const payload of [unicode, Buffer.from(unicode), new TextEncoder().encode(unicode)]) {
      expect(await check(payload, signed, SECRET_A, { now: NOW })).toEqual(JSON.parse(unicode));
    }
  });

  it('is liberal in what it parses: whitespace and unknown schemes are ignored', async () => {
    const [, v1] = headers['X-Webhook-Signature'].split(',') as [string, string];
    const loose = { 'x-webhook-signature': ` t=${T} , v0=00ff, v1a=zz,${v1} ` };
    await expect(check(BODY, loose, SECRET_A, { now: NOW })).resolves.toBeTruthy();
    const std = {
      ...standardOnly(headers),
      'webhook-signature': `v1a,abc  ${headers['webhook-signature']} v2,xyz`,
    };
    await expect(check(BODY, std, SECRET_A, { now: NOW })).resolves.toBeTruthy();
  });

  it('does not fall back to the Standard Webhooks headers when X-Webhook-Signature is present', async () => {
    const error = await failure(
      check(BODY, { ...headers, 'X-Webhook-Signature': 'v1=abc' }, SECRET_A, { now: NOW }),
    );
    expect(error.code).toBe('invalid_signature_header');
    expect(error.message).toMatch(/t=<unix seconds>/);
  });

  it('rejects malformed Standard Webhooks headers', async () => {
    const noV1 = { ...standardOnly(headers), 'webhook-signature': 'v2,abc' };
    expect((await failure(check(BODY, noV1, SECRET_A, { now: NOW }))).code).toBe('invalid_signature_header');
    const badTs = { ...standardOnly(headers), 'webhook-timestamp': '2025-01-13' };
    expect((await failure(check(BODY, badTs, SECRET_A, { now: NOW }))).code).toBe('invalid_signature_header');
  });

  it('names the missing header', async () => {
    const none = await failure(check(BODY, {}, SECRET_A, { now: NOW }));
    expect(none.code).toBe('missing_signature_header');
    expect(none.message).toMatch(/X-Webhook-Signature/);
    const { 'webhook-timestamp': _, ...partial } = standardOnly(headers);
    const missing = await failure(check(BODY, partial, SECRET_A, { now: NOW }));
    expect(missing.code).toBe('missing_signature_header');
    expect(missing.message).toMatch(/Missing the webhook-timestamp header/);
    const request = await failure(check(BODY, { method: 'POST', headers } as never, SECRET_A, { now: NOW }));
    expect(request.message).toMatch(/pass request\.headers/);
  });

  it('tells the integrator to pass the raw body when the JSON was re-serialized', async () => {
    const reserialized = JSON.stringify(JSON.parse(BODY), null, 2);
    const error = await failure(check(reserialized, headers, SECRET_A, { now: NOW }));
    expect(error.code).toBe('signature_mismatch');
    expect(error.message).toMatch(/raw request body.*re-serialized/);
    const stringified = await failure(check('[object Object]', headers, SECRET_A, { now: NOW }));
    expect(stringified.message).toMatch(/\[object Object\]/);
    const empty = await failure(check('', headers, SECRET_A, { now: NOW }));
    expect(empty.message).toMatch(/payload is empty/);
  });

  it('refuses a parsed body with invalid_payload', async () => {
    const error = await failure(check(JSON.parse(BODY) as never, headers, SECRET_A, { now: NOW }));
    expect(error.code).toBe('invalid_payload');
    expect(error.message).toMatch(/already parsed.*express\.raw/);
  });

  it('explains a secret with whitespace, without the whsec_ prefix, or not base64 — never echoing it', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [`${SECRET_A}\n`, headers, /whitespace/],
      [` ${SECRET_A}`, standardOnly(headers), /whitespace/],
      [SECRET_A.slice('whsec_'.length), headers, /does not start with "whsec_"/],
      ['whsec_not*base64!', standardOnly(headers), /not valid base64/],
    ];
    for (const [secret, hs, hint] of cases) {
      const error = await failure(check(BODY, hs, secret, { now: NOW }));
      expect(error.code).toBe('signature_mismatch');
      expect(error.message).toMatch(hint);
      expect(error.message).not.toContain(secret.trim());
      expect(error.message).not.toContain(SECRET_A.slice('whsec_'.length));
    }
    const two = await failure(check(BODY, headers, [SECRET_B, `${SECRET_A} `], { now: NOW }));
    expect(two.message).toMatch(/Secret #2 has leading or trailing whitespace/);
  });

  it('fails with invalid_payload when a correctly signed payload is not JSON', async () => {
    const signed = sign({ payload: 'not json', secret: SECRET_A, id: 'evt_1', timestamp: T });
    const error = await failure(check('not json', signed, SECRET_A, { now: NOW }));
    expect(error.code).toBe('invalid_payload');
    expect(error.message).toMatch(/signed correctly but is not valid JSON/);
  });

  it('throws a TypeError for a missing secret, so a missing env var is not mistaken for a bad request', async () => {
    await expect(check(BODY, headers, undefined as never)).rejects.toThrow(TypeError);
    await expect(check(BODY, headers, '')).rejects.toThrow(/environment variable/);
    await expect(check(BODY, headers, [])).rejects.toThrow(/empty array/);
  });

  it('rejects a replayed request with a replay guard, and lets a newly signed one through', async () => {
    const replayGuard = createMemoryReplayGuard();
    await expect(check(BODY, headers, SECRET_A, { now: NOW, replayGuard })).resolves.toBeTruthy();
    const replay = await failure(check(BODY, headers, SECRET_A, { now: NOW, replayGuard }));
    expect(replay.code).toBe('replayed_request');
    // Stripping one header scheme does not make it look new.
    expect(
      (await failure(check(BODY, standardOnly(headers), SECRET_A, { now: NOW, replayGuard }))).code,
    ).toBe('replayed_request');
    const retry = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1', timestamp: T + 5 });
    await expect(check(BODY, retry, SECRET_A, { now: NOW, replayGuard })).resolves.toBeTruthy();
  });

  it('does not remember requests that fail verification', async () => {
    const replayGuard = createMemoryReplayGuard();
    await failure(check(BODY, headers, SECRET_B, { now: NOW, replayGuard }));
    await failure(check(BODY, headers, SECRET_A, { now: NOW + 400_000, replayGuard }));
    expect(replayGuard.size).toBe(0);
  });

  it('gives the guard a ttl that ends with the tolerance window', async () => {
    const calls: [string, number][] = [];
    const replayGuard: ReplayGuard = { checkAndRemember: (key, ttl) => calls.push([key, ttl]) > 0 };
    await check(BODY, headers, SECRET_A, { now: NOW + 100_000, replayGuard });
    expect(calls).toEqual([[expect.stringMatching(/^[0-9a-f]{64}$/), 200_000]]);
  });
});

describe('replay guards', () => {
  const headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1', timestamp: T });
  const seen = new Set<string>();
  const asyncGuard: ReplayGuard = {
    checkAndRemember: async (key) => !seen.has(key) && Boolean(seen.add(key)),
  };

  it('verifyAsync accepts an asynchronous guard', async () => {
    await expect(
      verifyAsync(BODY, headers, SECRET_A, { now: NOW, replayGuard: asyncGuard }),
    ).resolves.toBeTruthy();
    await expect(
      verifyAsync(BODY, headers, SECRET_A, { now: NOW, replayGuard: asyncGuard }),
    ).rejects.toMatchObject({
      code: 'replayed_request',
    });
  });

  it('verify refuses an asynchronous guard with a pointer to verifyAsync', () => {
    expect(() => verify(BODY, headers, SECRET_A, { now: NOW, replayGuard: asyncGuard })).toThrow(
      /use verifyAsync/,
    );
  });
});

describe('sign', () => {
  it('returns exactly the four headers of a delivery', () => {
    const headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1', timestamp: T });
    expect(Object.keys(headers)).toEqual([
      'X-Webhook-Signature',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
    expect(headers['X-Webhook-Signature']).toMatch(/^t=1736771700,v1=[0-9a-f]{64}$/);
  });

  it('defaults the timestamp to now', () => {
    const before = Math.floor(Date.now() / 1000);
    expect(
      Number(sign({ payload: BODY, secret: SECRET_A, id: 'evt_1' })['webhook-timestamp']),
    ).toBeGreaterThanOrEqual(before);
  });

  it('refuses inputs that cannot produce valid headers', () => {
    expect(() => sign({ payload: BODY, secret: 'whsec_not base64', id: 'evt_1' })).toThrow(/base64/);
    expect(() => sign({ payload: BODY, secret: SECRET_A, id: 'evt 1' })).toThrow(/id/);
    expect(() => sign({ payload: BODY, secret: SECRET_A, id: 'evt_1', timestamp: 1.5 })).toThrow(/timestamp/);
    expect(() => sign({ payload: {} as never, secret: SECRET_A, id: 'evt_1' })).toThrow(/JSON\.stringify/);
  });
});

describe('acceptSignedRequest (shared by every verifier)', () => {
  it('compares every MAC even after one matches, so timing does not reveal which secret matched', () => {
    const headers = sign({ payload: BODY, secret: [SECRET_A, SECRET_B], id: 'evt_1', timestamp: T });
    const signed = parseSignedRequest(BODY, headers, [SECRET_A, SECRET_B]);
    const macs = signed.signatures.map((s) => new Uint8Array(s));
    const compared: Uint8Array[] = [];
    const equal = (a: Uint8Array, b: Uint8Array) => {
      compared.push(a);
      return Buffer.from(a).equals(Buffer.from(b));
    };
    expect(acceptSignedRequest(signed, macs, equal, { now: NOW }).event).toEqual(JSON.parse(BODY));
    expect(new Set(compared)).toEqual(new Set(macs));
    expect(() => acceptSignedRequest(signed, [], equal, { now: NOW })).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
  });
});
