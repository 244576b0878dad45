import { createServer, type Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookMiddleware } from '../src/express.js';
import { createMemoryReplayGuard, sign } from '../src/index.js';
import { BODY, close, listen, SECRET_A, SECRET_B } from './support.js';

let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  const echo: express.RequestHandler = (req, res) => {
    res.json({ id: req.webhook?.id, type: req.webhook?.type });
  };
  const options = { secret: [SECRET_B, SECRET_A] };

  app.post('/raw', express.raw({ type: 'application/json' }), webhookMiddleware(options), echo);
  app.post('/stream', webhookMiddleware(options), echo);
  app.post('/guarded', webhookMiddleware({ ...options, replayGuard: createMemoryReplayGuard() }), echo);
  app.post('/small', webhookMiddleware({ ...options, maxBodyBytes: 10 }), echo);
  // What NestJS does with { rawBody: true }: JSON parsed, raw bytes kept on req.rawBody.
  app.post(
    '/kept',
    express.json({
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = buf;
      },
    }),
    webhookMiddleware(options),
    echo,
  );
  app.post('/parsed', express.json(), webhookMiddleware(options), echo);
  server = createServer(app);
  url = await listen(server);
});

afterAll(() => close(server));

function deliver(
  path: string,
  body = BODY,
  headers: Record<string, string> = sign({ payload: body, secret: SECRET_A, id: 'evt_1' }),
) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('Express webhookMiddleware over HTTP', () => {
  it.each(['/raw', '/stream', '/kept'])('verifies and sets req.webhook (%s)', async (path) => {
    const response = await deliver(path);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'evt_1', type: 'invoice.paid' });
  });

  it('answers 400 problem+json naming the code when the signature does not match', async () => {
    const response = await deliver(
      '/stream',
      BODY,
      sign({ payload: BODY, secret: 'whsec_b3RoZXI=', id: 'evt_1' }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      type: 'urn:acme:webhook-verify:signature_mismatch',
      title: 'Webhook verification failed',
      status: 400,
      code: 'signature_mismatch',
      detail: expect.stringMatching(/raw request body/),
    });
  });

  it('refuses a body express.json() already parsed, naming the fix', async () => {
    const response = await deliver('/parsed');
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem.code).toBe('invalid_payload');
    expect(problem.detail).toMatch(
      /express\.raw\(\{ type: 'application\/json' \}\).*before express\.json\(\)/,
    );
  });

  it('reports a missing header', async () => {
    const response = await deliver('/stream', BODY, {});
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe('missing_signature_header');
  });

  it('rejects a replayed request and accepts a newly signed one', async () => {
    const headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1' });
    expect((await deliver('/guarded', BODY, headers)).status).toBe(200);
    const replay = await deliver('/guarded', BODY, headers);
    expect(replay.status).toBe(400);
    expect((await replay.json()).code).toBe('replayed_request');
    const resigned = sign({
      payload: BODY,
      secret: SECRET_A,
      id: 'evt_1',
      timestamp: Number(headers['webhook-timestamp']) + 1,
    });
    expect((await deliver('/guarded', BODY, resigned)).status).toBe(200);
  });

  it('stops reading a body over maxBodyBytes', async () => {
    const response = await deliver('/small');
    expect(response.status).toBe(400);
    expect((await response.json()).detail).toMatch(/maxBodyBytes/);
  });

  it('fails fast at start-up without a secret', () => {
    expect(() => webhookMiddleware({ secret: undefined as never })).toThrow(TypeError);
  });
});
