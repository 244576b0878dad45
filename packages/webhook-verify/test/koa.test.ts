import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../src/index.js';
import { webhookMiddleware } from '../src/koa.js';
import { BODY, close, listen, SECRET_A } from './support.js';

const servers: Server[] = [];

async function start(...middleware: Koa.Middleware[]): Promise<string> {
  const app = new Koa();
  for (const m of middleware) app.use(m);
  app.use((ctx) => {
    ctx.body = { id: ctx.state.webhook.id };
  });
  const server = createServer(app.callback());
  servers.push(server);
  return listen(server);
}

let plain: string;
let parsed: string;
let discarded: string;

beforeAll(async () => {
  plain = await start(webhookMiddleware({ secret: SECRET_A }));
  parsed = await start(bodyParser(), webhookMiddleware({ secret: SECRET_A }));
  // A parser that keeps no raw copy, so the middleware cannot recover the signed bytes.
  discarded = await start(
    async (ctx, next) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
      await next();
    },
    webhookMiddleware({ secret: SECRET_A }),
  );
});

afterAll(() => Promise.all(servers.map(close)));

function deliver(
  base: string,
  contentType = 'application/json',
  headers = sign({ payload: BODY, secret: SECRET_A, id: 'evt_1' }),
) {
  return fetch(`${base}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: BODY,
  });
}

describe('Koa webhookMiddleware over HTTP', () => {
  it('reads the body stream itself when nothing has', async () => {
    const response = await deliver(plain);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'evt_1' });
  });

  it('uses ctx.request.rawBody kept by koa-bodyparser', async () => {
    const response = await deliver(parsed);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'evt_1' });
  });

  it('reads the stream when koa-bodyparser skipped an unknown content type', async () => {
    const response = await deliver(parsed, 'application/octet-stream');
    expect(response.status).toBe(200);
  });

  it('refuses a body parsed without a raw copy, naming the fix', async () => {
    const response = await deliver(discarded);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = await response.json();
    expect(problem).toMatchObject({ status: 400, code: 'invalid_payload' });
    expect(problem.detail).toMatch(/before the body parser/);
  });

  it('answers 400 problem+json naming the code when the signature does not match', async () => {
    const response = await deliver(
      parsed,
      'application/json',
      sign({ payload: '{}', secret: SECRET_A, id: 'evt_1' }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'signature_mismatch', status: 400 });
  });
});
