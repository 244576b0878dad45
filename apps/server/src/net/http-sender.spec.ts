import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSender, MAX_RESPONSE_BODY_BYTES } from './http-sender';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const routes: Record<string, Handler> = {
  '/ok': (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain', 'x-multi': ['a', 'b'] }).end('thanks'),
  '/no-content': (_req, res) => res.writeHead(204).end(),
  '/echo': (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          method: req.method,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      ),
    );
  },
  '/500': (_req, res) => res.writeHead(500).end('boom'),
  '/429': (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end(),
  '/redirect': (_req, res) => res.writeHead(302, { location: '/ok' }).end(),
  '/slow': (_req, res) => {
    const timer = setTimeout(() => res.writeHead(200).end('late'), 5_000);
    res.on('close', () => clearTimeout(timer));
  },
  '/slow-body': (_req, res) => {
    res.writeHead(200);
    res.write('start');
    const timer = setTimeout(() => res.end('late'), 5_000);
    res.on('close', () => clearTimeout(timer));
  },
  '/reset': (req) => req.socket.destroy(),
  '/big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(MAX_RESPONSE_BODY_BYTES * 4));
  },
  '/huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'y');
    let sent = 0;
    const pump = () => {
      while (sent < 8 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  },
  '/exact': (_req, res) => res.writeHead(200).end('z'.repeat(MAX_RESPONSE_BODY_BYTES)),
};

let server: Server;
let base: string;
let closedPortUrl: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const handler = routes[req.url ?? ''];
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just open and is now closed: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPortUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const sender = new HttpSender({ timeoutMs: 800, allowPrivateTargets: true });
afterAll(() => sender.close());

const post = (path: string, headers: Record<string, string> = {}, body = '{"a":1}') =>
  sender.send({ url: `${base}${path}`, headers: { 'content-type': 'application/json', ...headers }, body });

describe('HttpSender', () => {
  it('captures a 2xx response with its headers and body', async () => {
    const result = await post('/ok');
    expect(result.error).toBeNull();
    expect(result.response).toMatchObject({ status: 200, body: 'thanks', bodyTruncated: false });
    expect(result.response?.headers['x-multi']).toBe('a, b');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.startedAt).toBeInstanceOf(Date);
  });

  it('sends the body bytes and headers unchanged', async () => {
    const body = '{"id":"evt_1","data":{"emoji":"🎉","n":1.50}}';
    const result = await post('/echo', { 'x-webhook-event': 'invoice.paid' }, body);
    const echoed = JSON.parse(result.response!.body);
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe(body);
    expect(echoed.headers['x-webhook-event']).toBe('invoice.paid');
    expect(echoed.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('treats a 204 as success with an empty body', async () => {
    const result = await post('/no-content');
    expect(result.error).toBeNull();
    expect(result.response).toMatchObject({ status: 204, body: '' });
  });

  it('reports a 500 as http_status with the response kept', async () => {
    const result = await post('/500');
    expect(result.error?.code).toBe('http_status');
    expect(result.response).toMatchObject({ status: 500, body: 'boom' });
  });

  it('keeps Retry-After of a 429', async () => {
    const result = await post('/429');
    expect(result.error?.code).toBe('http_status');
    expect(result.response?.headers['retry-after']).toBe('7');
  });

  it('does not follow redirects', async () => {
    const result = await post('/redirect');
    expect(result.error?.code).toBe('redirect');
    expect(result.response?.status).toBe(302);
    expect(result.response?.headers.location).toBe('/ok');
  });

  it('times out a slow answer', async () => {
    const result = await post('/slow');
    expect(result.error?.code).toBe('timeout');
    expect(result.response).toBeNull();
    expect(result.durationMs).toBeLessThan(4_000);
  });

  it('times out a body that never finishes (the deadline covers the full response)', async () => {
    const result = await post('/slow-body');
    expect(result.error?.code).toBe('timeout');
  });

  it('reports a dropped connection as connection_reset', async () => {
    const result = await post('/reset');
    expect(result.error?.code).toBe('connection_reset');
  });

  it('reports a closed port as connection_refused', async () => {
    const result = await sender.send({ url: closedPortUrl, headers: {}, body: '{}' });
    expect(result.error?.code).toBe('connection_refused');
  });

  it('keeps 16 KiB of a large body and marks it truncated', async () => {
    const result = await post('/big');
    expect(result.error).toBeNull();
    expect(result.response?.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
    expect(result.response?.bodyTruncated).toBe(true);
  });

  it('does not mark a body of exactly 16 KiB truncated', async () => {
    const result = await post('/exact');
    expect(result.response?.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
    expect(result.response?.bodyTruncated).toBe(false);
  });

  it('gives up reading a huge body without buffering it', async () => {
    const result = await post('/huge');
    expect(result.response?.status).toBe(200);
    expect(result.response?.bodyTruncated).toBe(true);
    expect(result.response?.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
  });

  it('reuses keep-alive connections to the same origin', async () => {
    await post('/ok');
    const before = connections;
    for (let i = 0; i < 5; i++) await post('/ok');
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('reports an unresolvable name as dns', async () => {
    const result = await sender.send({ url: 'http://no-such-host.invalid/', headers: {}, body: '{}' });
    expect(result.error?.code).toBe('dns');
  });
});

describe('HttpSender with private targets disallowed', () => {
  const strict = new HttpSender({
    timeoutMs: 800,
    allowPrivateTargets: false,
    // A fake resolver: these names never reach real DNS.
    resolve: async (hostname) => {
      const table: Record<string, Array<{ address: string; family: number }>> = {
        'rebind.test': [{ address: '127.0.0.1', family: 4 }],
        'mixed.test': [
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.1', family: 4 },
        ],
        'mapped.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
      };
      const found = table[hostname];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    },
  });
  afterAll(() => strict.close());

  it.each([
    ['a loopback literal', () => `${base}/ok`],
    ['a decimal loopback spelling', () => `http://2130706433:${new URL(base).port}/ok`],
    ['an IPv6 loopback literal', () => `http://[::1]:${new URL(base).port}/ok`],
    ['an IPv4-mapped loopback literal', () => `http://[::ffff:127.0.0.1]:${new URL(base).port}/ok`],
    ['a name resolving to loopback', () => `http://rebind.test:${new URL(base).port}/ok`],
    ['a name with one private address among public ones', () => `http://mixed.test:${new URL(base).port}/ok`],
    ['a name resolving to a mapped loopback', () => `http://mapped.test:${new URL(base).port}/ok`],
  ])('blocks %s before connecting', async (_name, url) => {
    const before = connections;
    const result = await strict.send({ url: url(), headers: {}, body: '{}' });
    expect(result.error?.code).toBe('blocked_address');
    expect(result.response).toBeNull();
    expect(connections).toBe(before);
  });

  it('still reports an unknown name as dns', async () => {
    const result = await strict.send({ url: 'http://unknown.test/', headers: {}, body: '{}' });
    expect(result.error?.code).toBe('dns');
  });
});
