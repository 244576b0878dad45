import { spawnSync } from 'node:child_process';
import { sign } from '@acme/webhook-verify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { send, status } from './http.js';
import { BIN, type RunningBinary, startBinary } from './spawn.js';

const SECRET = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUEtMDEyMzQ1Njc4OWFi';

function event(id: string, type = 'invoice.paid', data: object = { amount: 4900 }): string {
  return JSON.stringify({ id, type, created_at: new Date().toISOString(), data });
}

async function putBehavior(url: string, body: object) {
  const result = await send(`${url}/_mock/behavior`, { method: 'PUT', body: JSON.stringify(body) });
  if (result.kind !== 'answer') throw new Error(`PUT /_mock/behavior failed: ${result.code}`);
  return result.answer;
}

async function recorded(url: string, path?: string) {
  const query = path ? `?path=${encodeURIComponent(path)}` : '';
  const result = await send(`${url}/_mock/requests${query}`, { method: 'GET', body: '' });
  if (result.kind !== 'answer') throw new Error(`GET /_mock/requests failed: ${result.code}`);
  return JSON.parse(result.answer.body).data as Array<Record<string, unknown>>;
}

describe('acme-mock-receiver binary: behaviours over real HTTP', () => {
  let mock: RunningBinary;

  beforeAll(async () => {
    mock = await startBinary([]);
  });
  afterAll(async () => {
    await mock.stop();
  });
  beforeEach(async () => {
    await send(`${mock.url}/_mock/behavior`, { method: 'DELETE', body: '' });
    await send(`${mock.url}/_mock/requests`, { method: 'DELETE', body: '' });
  });

  it('prints the URL it listens on and answers 200 on any path by default', async () => {
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await status(`${mock.url}/`)).toBe(200);
    expect(await status(`${mock.url}/some/deep/path?x=1`)).toBe(200);
  });

  it('logs one line per request with method, path, event, verdict and answer', async () => {
    await putBehavior(mock.url, { path: '/logged', spec: 'status:502,delay:20' });
    await send(`${mock.url}/logged`, { body: event('evt_log1', 'order.shipped') });
    const line = await mock.waitForLine(/POST \/logged /);
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z POST \/logged order\.shipped evt_log1 signature=unchecked -> 502 after 20ms$/,
    );
  });

  it('status:<code> answers that status', async () => {
    await putBehavior(mock.url, { spec: 'status:503' });
    expect(await status(`${mock.url}/a`)).toBe(503);
    expect(await status(`${mock.url}/a`)).toBe(503);
  });

  it('sequence:<a>/<b> answers in order, then 200', async () => {
    await putBehavior(mock.url, { spec: 'sequence:500/502/201' });
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await status(`${mock.url}/seq`));
    expect(got).toEqual([500, 502, 201, 200, 200]);
  });

  it('fail-first:<n> answers 500 n times per path, then 200', async () => {
    await putBehavior(mock.url, { spec: 'fail-first:2' });
    expect(await status(`${mock.url}/x`)).toBe(500);
    expect(await status(`${mock.url}/y`)).toBe(500);
    expect(await status(`${mock.url}/x`)).toBe(500);
    expect(await status(`${mock.url}/x`)).toBe(200);
    expect(await status(`${mock.url}/y`)).toBe(500);
    expect(await status(`${mock.url}/y`)).toBe(200);
  });

  it('delay:<ms> waits before answering', async () => {
    await putBehavior(mock.url, { spec: 'delay:300' });
    const result = await send(`${mock.url}/slow`);
    expect(result.kind).toBe('answer');
    expect(result.ms).toBeGreaterThanOrEqual(290);
  });

  it('timeout never answers (the client gives up) and is recorded as such', async () => {
    await putBehavior(mock.url, { path: '/hang', spec: 'timeout' });
    const result = await send(`${mock.url}/hang`, { timeoutMs: 400 });
    expect(result).toMatchObject({ kind: 'error', code: 'CLIENT_TIMEOUT' });
    const [record] = await recorded(mock.url, '/hang');
    expect(record).toMatchObject({ path: '/hang', outcome: 'timeout', response_status: null });
  });

  it('reset drops the connection', async () => {
    await putBehavior(mock.url, { spec: 'reset' });
    const result = await send(`${mock.url}/drop`);
    expect(result).toMatchObject({ kind: 'error', code: 'ECONNRESET' });
  });

  it('retry-after:<s> adds Retry-After to failures only', async () => {
    await putBehavior(mock.url, { spec: 'status:429,retry-after:30' });
    let result = await send(`${mock.url}/ra`);
    expect(result.kind === 'answer' && [result.answer.status, result.answer.headers['retry-after']]).toEqual([
      429,
      '30',
    ]);

    // Without a status the failures answer 503: the delivery server honours Retry-After on 429 and 503 only.
    await putBehavior(mock.url, { spec: 'fail-first:1,retry-after:5' });
    result = await send(`${mock.url}/ra`);
    expect(result.kind === 'answer' && [result.answer.status, result.answer.headers['retry-after']]).toEqual([
      503,
      '5',
    ]);
    result = await send(`${mock.url}/ra`);
    expect(result.kind === 'answer' && [result.answer.status, result.answer.headers['retry-after']]).toEqual([
      200,
      undefined,
    ]);
  });

  it('per-path behaviour overrides the global one, and an empty spec removes the override', async () => {
    await putBehavior(mock.url, { spec: 'status:202' });
    const answer = await putBehavior(mock.url, { path: '/broken', spec: 'status:500' });
    expect(JSON.parse(answer.body)).toEqual({ global: 'status:202', paths: { '/broken': 'status:500' } });
    expect(await status(`${mock.url}/broken`)).toBe(500);
    expect(await status(`${mock.url}/fine`)).toBe(202);
    await putBehavior(mock.url, { path: '/broken', spec: '' });
    expect(await status(`${mock.url}/broken`)).toBe(202);
  });

  it('PUT /_mock/behavior with a bad token is a 400 problem naming the token', async () => {
    const answer = await putBehavior(mock.url, { spec: 'fail-first:2,explode:9' });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(answer.body);
    expect(problem).toMatchObject({ status: 400, title: 'Invalid behavior spec', token: 'explode:9' });
    expect(problem.detail).toContain('"explode:9"');
    expect(problem.errors).toEqual([{ field: 'spec', message: problem.detail }]);
    // Nothing changed.
    expect(await status(`${mock.url}/still-ok`)).toBe(200);

    const missing = await putBehavior(mock.url, { path: 'no-slash' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).errors.map((e: { field: string }) => e.field)).toEqual(['spec', 'path']);
  });

  it.each([['not json'], [''], ['[]'], ['null'], ['"fail-first:2"']])(
    'PUT /_mock/behavior with the body %j is a 400 problem naming the body',
    async (body) => {
      const result = await send(`${mock.url}/_mock/behavior`, { method: 'PUT', body });
      if (result.kind !== 'answer') throw new Error(`PUT /_mock/behavior failed: ${result.code}`);
      expect(result.answer.status).toBe(400);
      expect(result.answer.headers['content-type']).toBe('application/problem+json');
      const problem = JSON.parse(result.answer.body);
      expect(problem.errors).toEqual([
        { field: 'body', message: expect.stringContaining('must be a JSON object') },
      ]);
      expect(problem.detail).toBe(`body: ${problem.errors[0].message}`);
    },
  );

  it('records requests, filters by path and clears them', async () => {
    await putBehavior(mock.url, { path: '/b', spec: 'status:418' });
    await send(`${mock.url}/a?x=1`, { body: event('evt_a'), headers: { 'x-custom': 'yes' } });
    await send(`${mock.url}/b`, { body: 'not json' });
    const all = await recorded(mock.url);
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({
      path: '/a',
      query: '?x=1',
      method: 'POST',
      body: expect.stringContaining('"evt_a"'),
      event_id: 'evt_a',
      event_type: 'invoice.paid',
      signature: { valid: null, error: null },
      response_status: 200,
      outcome: 'answered',
    });
    expect(all[0]?.id).toMatch(/^req_\d+$/);
    expect(new Date(all[0]?.received_at as string).toISOString()).toBe(all[0]?.received_at);
    expect(all[0]?.headers).toMatchObject({ 'x-custom': 'yes' });
    expect(await recorded(mock.url, '/b')).toEqual([
      expect.objectContaining({ body: 'not json', response_status: 418 }),
    ]);

    const cleared = await send(`${mock.url}/_mock/requests`, { method: 'DELETE', body: '' });
    expect(cleared.kind === 'answer' && cleared.answer.status).toBe(204);
    expect(await recorded(mock.url)).toEqual([]);
  });

  it('GET /_mock is an HTML page that escapes what arrived and polls for more', async () => {
    await send(`${mock.url}/xss`, {
      body: JSON.stringify({ id: 'evt_<b>bold</b>', type: 'x', data: { note: '<script>alert(1)</script>' } }),
      headers: { 'x-evil': '"><img src=x onerror=alert(2)>' },
    });
    const page = await send(`${mock.url}/_mock`, { method: 'GET', body: '' });
    expect(page.kind).toBe('answer');
    if (page.kind !== 'answer') return;
    expect(page.answer.headers['content-type']).toContain('text/html');
    const html = page.answer.body;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('evt_&lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain("fetch('/_mock/requests'");
  });

  it('unknown control routes are a 404 problem', async () => {
    const result = await send(`${mock.url}/_mock/nope`, { method: 'GET', body: '' });
    expect(result.kind === 'answer' && result.answer.status).toBe(404);
  });
});

describe('acme-mock-receiver binary: signatures', () => {
  let mock: RunningBinary;
  beforeAll(async () => {
    mock = await startBinary([
      '--secret',
      'whsec_b2xkLXNlY3JldC1vbGQtb2xkLW9sZC1vbGQtb2xkLW8=',
      '--secret',
      SECRET,
    ]);
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('records valid for a request signed with the SDK, invalid with the code otherwise', async () => {
    const body = event('evt_sig1');
    const headers = sign({ payload: body, secret: SECRET, id: 'evt_sig1' });
    await send(`${mock.url}/hooks`, { body, headers: { ...headers } });
    await send(`${mock.url}/hooks`, { body: body.replace('4900', '1'), headers: { ...headers } });
    await send(`${mock.url}/hooks`, { body });

    const [valid, tampered, unsigned] = await recorded(mock.url, '/hooks');
    expect(valid?.signature).toEqual({ valid: true, error: null });
    expect(tampered?.signature).toMatchObject({ valid: false, error: 'signature_mismatch' });
    expect(unsigned?.signature).toMatchObject({ valid: false, error: 'missing_signature_header' });
    // The verdict is recorded, not enforced: the answer still follows the behaviour.
    expect([valid, tampered, unsigned].map((r) => r?.response_status)).toEqual([200, 200, 200]);

    await mock.waitForLine(/POST \/hooks invoice\.paid evt_sig1 signature=valid -> 200$/);
    await mock.waitForLine(/signature=invalid \(signature_mismatch\) -> 200$/);
  });

  it('a signature with a stale timestamp is timestamp_outside_tolerance', async () => {
    const body = event('evt_old');
    const headers = sign({
      payload: body,
      secret: SECRET,
      id: 'evt_old',
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    await send(`${mock.url}/old`, { body, headers: { ...headers } });
    const [record] = await recorded(mock.url, '/old');
    expect(record?.signature).toMatchObject({ valid: false, error: 'timestamp_outside_tolerance' });
  });
});

describe('acme-mock-receiver binary: flaky with --seed', () => {
  async function run(seed: string): Promise<Array<number | string>> {
    const mock = await startBinary(['--behavior', 'flaky:0.5', '--seed', seed, '--quiet']);
    try {
      const got = [];
      for (let i = 0; i < 24; i++) got.push(await status(`${mock.url}/flaky`));
      return got;
    } finally {
      await mock.stop();
    }
  }

  it('answers the same sequence for the same seed and a different one for another seed', async () => {
    const [first, again, other] = await Promise.all([run('42'), run('42'), run('7')]);
    expect(first).toEqual(again);
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(other).not.toEqual(first);
  });
});

describe('acme-mock-receiver binary: lifecycle', () => {
  it('closes gracefully on SIGTERM even with a held timeout connection', async () => {
    const mock = await startBinary(['--behavior', 'timeout']);
    const pending = send(`${mock.url}/hang`, { timeoutMs: 10_000 });
    await mock.waitForLine(/POST \/hang .* -> timeout/);
    const started = Date.now();
    expect(await mock.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await pending).kind).toBe('error');
  });

  it('refuses a bad --behavior at start with one line naming the token', () => {
    const result = spawnSync(process.execPath, [BIN, '--port', '0', '--behavior', 'status:500,frobnicate'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('"frobnicate"');
  });

  it.each([[''], ['nope'], ['whsec_'], ['whsec_not base64']])(
    'refuses --secret %j at start with one line',
    (secret) => {
      const result = spawnSync(
        process.execPath,
        [BIN, '--port', '0', '--secret', SECRET, '--secret', secret],
        {
          encoding: 'utf8',
          timeout: 5000,
        },
      );
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('--secret must be an endpoint signing secret');
    },
  );

  it('prints usage with --help', () => {
    const result = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 5000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: acme-mock-receiver');
    expect(result.stdout).toContain('fail-first:<n>');
  });
});
