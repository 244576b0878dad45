import { sign } from '@acme/webhook-verify';
import { afterEach, describe, expect, it } from 'vitest';
import { BehaviorSpecError, type MockReceiver, startMockReceiver } from '../src/index.js';
import { send, status } from './http.js';

const SECRET = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUEtMDEyMzQ1Njc4OWFi';

describe('startMockReceiver (in-process)', () => {
  let receiver: MockReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('listens on a random loopback port and records requests', async () => {
    receiver = await startMockReceiver({ port: 0 });
    expect(receiver.url).toBe(`http://127.0.0.1:${receiver.port}`);
    expect(await status(`${receiver.url}/hooks`, { body: '{"id":"evt_1","type":"a.b"}' })).toBe(200);
    expect(receiver.requests()).toEqual([
      expect.objectContaining({ path: '/hooks', event_id: 'evt_1', event_type: 'a.b', response_status: 200 }),
    ]);
    expect(receiver.requests('/other')).toEqual([]);
    receiver.clearRequests();
    expect(receiver.requests()).toEqual([]);
  });

  it('setBehavior changes answers globally or per path and resets counters', async () => {
    receiver = await startMockReceiver({ behavior: 'fail-first:1' });
    expect(await status(`${receiver.url}/a`)).toBe(500);
    expect(await status(`${receiver.url}/a`)).toBe(200);
    receiver.setBehavior('fail-first:1');
    expect(await status(`${receiver.url}/a`)).toBe(500);
    receiver.setBehavior('status:410', '/gone');
    expect(await status(`${receiver.url}/gone`)).toBe(410);
    expect(await status(`${receiver.url}/a`)).toBe(200);
    expect(() => receiver?.setBehavior('status:1000')).toThrow(BehaviorSpecError);
  });

  it("setting a path's behaviour restarts that path's counter, and only that one", async () => {
    receiver = await startMockReceiver({ behavior: 'fail-first:1' });
    receiver.setBehavior('fail-first:1', '/p');
    expect(await status(`${receiver.url}/p`)).toBe(500);
    expect(await status(`${receiver.url}/p`)).toBe(200);
    expect(await status(`${receiver.url}/q`)).toBe(500);
    receiver.setBehavior('fail-first:1', '/p');
    expect(await status(`${receiver.url}/p`)).toBe(500);
    expect(await status(`${receiver.url}/q`)).toBe(200);
    // A new global behaviour restarts the paths that follow it, not a path with its own.
    receiver.setBehavior('fail-first:1');
    expect(await status(`${receiver.url}/q`)).toBe(500);
    expect(await status(`${receiver.url}/p`)).toBe(200);
  });

  it("flaky draws one stream per path: other paths' traffic does not change a path's answers", async () => {
    const answersOnA = async (interleave: boolean) => {
      const mock = await startMockReceiver({ behavior: 'flaky:0.5', seed: 42 });
      try {
        const got = [];
        for (let i = 0; i < 24; i++) {
          if (interleave) await status(`${mock.url}/b`);
          got.push(await status(`${mock.url}/a`));
        }
        return got;
      } finally {
        await mock.close();
      }
    };
    const alone = await answersOnA(false);
    expect(alone).toContain(500);
    expect(alone).toContain(200);
    expect(await answersOnA(true)).toEqual(alone);
  });

  it('checks signatures with the configured secrets', async () => {
    receiver = await startMockReceiver({ secrets: [SECRET] });
    const body = JSON.stringify({ id: 'evt_2', type: 'x.y', created_at: new Date().toISOString(), data: {} });
    await send(`${receiver.url}/h`, {
      body,
      headers: { ...sign({ payload: body, secret: SECRET, id: 'evt_2' }) },
    });
    await send(`${receiver.url}/h`, {
      body,
      headers: {
        ...sign({ payload: body, secret: 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw==', id: 'evt_2' }),
      },
    });
    expect(receiver.requests().map((r) => r.signature.valid)).toEqual([true, false]);
    expect(receiver.requests()[1]?.signature.error).toBe('signature_mismatch');
  });

  it('checks the signature over the raw bytes, not their UTF-8 decoding', async () => {
    receiver = await startMockReceiver({ secrets: [SECRET] });
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]); // "{", two bytes that are not UTF-8, "}"
    await send(`${receiver.url}/raw`, {
      body,
      headers: { ...sign({ payload: body, secret: SECRET, id: 'evt_raw' }) },
    });
    // Correctly signed, so the SDK gets as far as the payload (which is not UTF-8 JSON).
    expect(receiver.requests()[0]?.signature).toMatchObject({ valid: false, error: 'invalid_payload' });
  });

  it('passes toleranceSeconds to the SDK', async () => {
    receiver = await startMockReceiver({ secrets: [SECRET], toleranceSeconds: 10 });
    const body = JSON.stringify({ id: 'evt_old', type: 'x.y', created_at: '', data: {} });
    const timestamp = Math.floor(Date.now() / 1000) - 60;
    await send(`${receiver.url}/old`, {
      body,
      headers: { ...sign({ payload: body, secret: SECRET, id: 'evt_old', timestamp }) },
    });
    expect(receiver.requests()[0]?.signature).toMatchObject({
      valid: false,
      error: 'timestamp_outside_tolerance',
    });
  });

  it('sends log lines to a log function', async () => {
    const lines: string[] = [];
    receiver = await startMockReceiver({
      log: (line) => lines.push(line),
      behavior: 'status:503,retry-after:9',
    });
    await send(`${receiver.url}/p`, { body: '{"id":"evt_3","type":"t.u"}' });
    expect(lines).toEqual([
      expect.stringMatching(/ POST \/p t\.u evt_3 signature=unchecked -> 503 Retry-After: 9$/),
    ]);
  });

  it('keeps only the last maxRequests requests', async () => {
    receiver = await startMockReceiver({ maxRequests: 3 });
    for (let i = 1; i <= 5; i++) await send(`${receiver.url}/n${i}`);
    expect(receiver.requests().map((r) => r.path)).toEqual(['/n3', '/n4', '/n5']);
  });

  it('close() ends held timeout connections and pending delays promptly', async () => {
    receiver = await startMockReceiver({ behavior: 'timeout' });
    receiver.setBehavior('delay:60000', '/slow');
    const held = send(`${receiver.url}/hang`, { timeoutMs: 10_000 });
    const slow = send(`${receiver.url}/slow`, { timeoutMs: 10_000 });
    while (receiver.requests().length < 2) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await receiver.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await held).kind).toBe('error');
    expect((await slow).kind).toBe('error');
    receiver = undefined;
  });

  it('rejects a bad behaviour at start', async () => {
    await expect(startMockReceiver({ behavior: 'nope' })).rejects.toThrow(BehaviorSpecError);
  });
});
