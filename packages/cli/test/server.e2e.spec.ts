/**
 * acme-webhooks (the built binary) against the REAL delivery server (apps/server/dist/main.js on an
 * in-memory SQLite) and a real mock receiver, all on 127.0.0.1. Skipped, loudly, when the server
 * has not been built.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { verify } from '@acme/webhook-verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinResult, expectOneLine, runBin } from './bin.js';

// ACME_E2E_SERVER_MAIN points at another build of the server (e.g. one compiled outside the repo,
// run with NODE_PATH set to the repo's node_modules); by default the workspace's own build.
const SERVER_MAIN =
  process.env.ACME_E2E_SERVER_MAIN ??
  fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));
const MOCK_RECEIVER_DIR = fileURLToPath(new URL('../../../apps/mock-receiver/', import.meta.url));
const serverBuilt = existsSync(SERVER_MAIN);

if (!serverBuilt) {
  console.warn(
    `\n⚠️  SKIPPING packages/cli/test/server.e2e.spec.ts: the real server is not built (${SERVER_MAIN} does not exist).\n` +
      '    Build it with `npm run build -w @acme/webhook-server` to run the CLI against it.\n',
  );
}

/** The slice of @acme/mock-receiver used here; loaded from its build at run time (it is not a dependency of the CLI). */
interface MockReceiver {
  url: string;
  requests(path?: string): Array<{ path: string; headers: Record<string, string | string[]>; body: string }>;
  setBehavior(spec: string, path?: string): void;
  close(): Promise<void>;
}

async function startMock(): Promise<MockReceiver> {
  const entry = join(MOCK_RECEIVER_DIR, 'dist/index.js');
  if (!existsSync(entry)) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: MOCK_RECEIVER_DIR });
  }
  const { startMockReceiver } = (await import(pathToFileURL(entry).href)) as {
    startMockReceiver(options: object): Promise<MockReceiver>;
  };
  return startMockReceiver({ port: 0, host: '127.0.0.1' });
}

interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

async function startServer(apiKey: string, dataDir: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.NODE_PATH ? { NODE_PATH: process.env.NODE_PATH } : {}),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite::memory:',
      WEBHOOKS_API_KEY: apiKey,
      WEBHOOKS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOKS_RETRY_SCHEDULE: '200ms,200ms',
      WEBHOOKS_REQUEST_TIMEOUT: '2s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function json<T = Record<string, unknown>>(result: BinResult): T {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  trigger: string;
  event_id: string;
  endpoint_id: string;
}

describe.skipIf(!serverBuilt)('acme-webhooks against the real server', () => {
  const apiKey = `cli-e2e-${randomBytes(12).toString('hex')}`;
  let dataDir: string;
  let server: RunningServer;
  let mock: MockReceiver;
  let env: Record<string, string>;
  let endpointId: string;
  let secret: string;
  let eventId: string;

  const cli = (args: string[], options: Parameters<typeof runBin>[1] = {}) =>
    runBin(args, { env, timeoutMs: 20_000, ...options });

  const deliveriesOf = async (event: string) =>
    json<{ data: Delivery[] }>(await cli(['deliveries', 'list', '--event', event, '--json'])).data;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'acme-cli-e2e-'));
    [server, mock] = await Promise.all([startServer(apiKey, dataDir), startMock()]);
    env = { ACME_WEBHOOKS_URL: server.url, ACME_WEBHOOKS_API_KEY: apiKey };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), mock?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('rejects a bad key with one line naming ACME_WEBHOOKS_API_KEY', async () => {
    const result = await cli(['endpoints', 'list'], {
      env: { ...env, ACME_WEBHOOKS_API_KEY: 'wrong-key-wrong-key' },
    });
    expect(result.code).toBe(1);
    expect(expectOneLine(result.stderr)).toContain('ACME_WEBHOOKS_API_KEY');
  });

  it('shows a 400 with its field errors', async () => {
    const result = await cli(['endpoints', 'create', 'not a url', '--events', 'invoice.paid']);
    expect(result.code).toBe(1);
    const line = expectOneLine(result.stderr);
    expect(line).toMatch(/^acme-webhooks: invalid request \(400/);
    expect(line).toContain('url');
  });

  it('creates an endpoint pointing at the mock receiver and lists it', async () => {
    const created = json<{ id: string; secret: string; url: string }>(
      await cli(['endpoints', 'create', `${mock.url}/hooks`, '--events', 'invoice.*', '--json']),
    );
    expect(created.id).toMatch(/^wh_/);
    expect(created.secret).toMatch(/^whsec_/);
    endpointId = created.id;
    secret = created.secret;

    const table = await cli(['endpoints', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+TENANT\s+EVENTS\s+URL$/);
    expect(table.stdout).toContain(endpointId);
    const listed = json<{ data: { id: string }[]; next_cursor: string | null }>(
      await cli(['endpoints', 'list', '--json']),
    );
    expect(listed.data.map((e) => e.id)).toContain(endpointId);
    expect(listed).toHaveProperty('next_cursor');

    const shown = await cli(['endpoints', 'get', endpointId, '--show-secret']);
    expect(shown.stdout).toContain(secret);
  });

  it('sends an event (idempotently) and it is delivered, signed, to the receiver', async () => {
    const args = ['events', 'send', 'invoice.paid', '--data', '{"invoice":"inv_1","amount":4900}', '--json'];
    const event = json<{ id: string; type: string }>(await cli([...args, '--idempotency-key', 'cli-e2e-1']));
    expect(event).toMatchObject({ type: 'invoice.paid' });
    eventId = event.id;
    const again = json<{ id: string }>(await cli([...args, '--idempotency-key', 'cli-e2e-1']));
    expect(again.id).toBe(eventId);

    const delivered = await eventually('the delivery to succeed', async () => {
      const [delivery] = await deliveriesOf(eventId);
      return delivery?.status === 'succeeded' ? delivery : undefined;
    });
    expect(delivered).toMatchObject({ endpoint_id: endpointId, attempts: 1, trigger: 'event' });

    const [request] = mock.requests('/hooks');
    expect(request).toBeDefined();
    const verified = verify(request?.body ?? '', request?.headers ?? {}, secret);
    expect(verified).toMatchObject({
      id: eventId,
      type: 'invoice.paid',
      data: { invoice: 'inv_1', amount: 4900 },
    });

    const events = await cli(['events', 'list']);
    expect(events.stdout).toContain(eventId);
    const withDeliveries = json<{ event: { id: string }; deliveries: Delivery[] }>(
      await cli(['events', 'get', eventId, '--deliveries', '--json']),
    );
    expect(withDeliveries.deliveries.map((d) => d.id)).toEqual([delivered.id]);

    const attempts = await cli(['deliveries', 'attempts', delivered.id]);
    expect(attempts.code).toBe(0);
    expect(attempts.stdout).toMatch(/^#\s+ID\s+TRIGGER/);
    expect(attempts.stdout).toMatch(/\n1\s+att_\S+\s+scheduled\s.*\s200\n$/);
    const one = json<Delivery>(await cli(['deliveries', 'get', delivered.id, '--json']));
    expect(one.status).toBe('succeeded');
  });

  it('endpoints test makes one immediate attempt', async () => {
    const result = await cli(['endpoints', 'test', endpointId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Test delivery dlv_\S+ to wh_\S+: succeeded \(200, \d+ ms\)/);
    const asJson = json<{ delivery: Delivery; attempt: { response: { status: number } } }>(
      await cli(['endpoints', 'test', endpointId, '--json']),
    );
    expect(asJson.delivery.trigger).toBe('test');
    expect(asJson.attempt.response.status).toBe(200);
    // A failing endpoint makes the command exit 1, so scripts can gate on it.
    mock.setBehavior('status:503', '/hooks');
    const failed = await cli(['endpoints', 'test', endpointId]);
    mock.setBehavior('', '/hooks');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/: dead \(503, \d+ ms\)\n/);
    expect(expectOneLine(failed.stderr)).toContain('failed: 503');
  });

  it('replays an event and an endpoint window', async () => {
    const before = mock.requests('/hooks').length;
    const replayed = json<{ deliveries: Delivery[] }>(await cli(['replay', 'event', eventId, '--json']));
    expect(replayed.deliveries).toHaveLength(1);
    expect(replayed.deliveries[0]).toMatchObject({ trigger: 'replay', endpoint_id: endpointId });
    await eventually('the replayed request', async () =>
      mock.requests('/hooks').length > before ? true : undefined,
    );
    const last = mock.requests('/hooks').at(-1);
    expect(last?.headers['webhook-id']).toBe(eventId);

    const dryRun = await cli([
      'replay',
      'endpoint',
      endpointId,
      '--since',
      '1h',
      '--only',
      'all',
      '--dry-run',
    ]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/^Replay rpl_\S+: \w+; [1-9]\d* event\(s\) matched, 0 would enqueue/);

    const real = json<{ id: string; matched: number }>(
      await cli(['replay', 'endpoint', endpointId, '--since', '1h', '--wait', '--json']),
    );
    // Every event in the window already succeeded to this endpoint, so "undelivered" matches none.
    expect(real).toMatchObject({ status: 'completed', matched: 0 });
    const progress = await cli(['replay', 'get', real.id]);
    expect(progress.stdout).toContain('completed');
    expect(progress.stdout).toMatch(/\nsince +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n/);
  });

  it('dead-letters a failing endpoint; deliveries list --status dead shows it; retry is accepted', async () => {
    mock.setBehavior('status:500', '/failing');
    const failing = json<{ id: string }>(
      await cli(['endpoints', 'create', `${mock.url}/failing`, '--events', 'order.failed', '--json']),
    );
    const event = json<{ id: string }>(await cli(['events', 'send', 'order.failed', '--json']));
    const dead = await eventually('the delivery to go dead', async () => {
      const [delivery] = await deliveriesOf(event.id);
      return delivery?.status === 'dead' ? delivery : undefined;
    });
    expect(dead).toMatchObject({ endpoint_id: failing.id, attempts: 3 });
    const deadList = await cli(['deliveries', 'list', '--status', 'dead']);
    expect(deadList.stdout).toContain(dead.id);

    // A manual attempt that fails again exits 1, as endpoints test does.
    const failedRetry = await cli(['deliveries', 'retry', dead.id]);
    expect(failedRetry.code).toBe(1);
    expect(failedRetry.stdout).toMatch(new RegExp(`^Attempt 4 of ${dead.id}: 500; status now dead\\.\\n`));
    expect(expectOneLine(failedRetry.stderr)).toBe(`acme-webhooks: the retry of ${dead.id} failed: 500`);

    mock.setBehavior('', '/failing');
    const retry = await cli(['deliveries', 'retry', dead.id]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(new RegExp(`^Attempt 5 of ${dead.id}: 200; status now succeeded\\.\\n`));
    await eventually('the manual retry to succeed', async () => {
      const [delivery] = await deliveriesOf(event.id);
      return delivery?.status === 'succeeded' ? delivery : undefined;
    });
    const attempts = await cli(['deliveries', 'attempts', dead.id, '--json']);
    const list = JSON.parse(attempts.stdout);
    const rows = Array.isArray(list) ? list : list.data;
    expect(rows.map((a: { trigger: string }) => a.trigger)).toEqual([
      'scheduled',
      'scheduled',
      'scheduled',
      'manual',
      'manual',
    ]);
  });

  it('the next-page hint of deliveries list keeps the filters: following it lists only those', async () => {
    const first = await cli(['deliveries', 'list', '--status', 'succeeded', '--limit', '1']);
    expect(first.code).toBe(0);
    const hint = /\nMore: acme-webhooks (.+) {2}\(or --all\)\n$/.exec(first.stdout)?.[1];
    expect(hint).toMatch(/^deliveries list --status succeeded --limit 1 --cursor \S+$/);
    const next = await cli((hint ?? '').split(' '));
    expect(next.code).toBe(0);
    const rows = next.stdout.split('\n').filter((line) => line.startsWith('dlv_'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^dlv_\S+\s+succeeded\s/);
    expect(rows[0]?.split(/\s+/)[0]).not.toBe(first.stdout.split('\n')[1]?.split(/\s+/)[0]);
  });

  it('tail --count follows new deliveries and exits by itself', async () => {
    let started!: () => void;
    const tailing = new Promise<void>((resolve) => {
      started = resolve;
    });
    const tail = cli(
      [
        'tail',
        '--endpoint',
        endpointId,
        '--status',
        'succeeded',
        '--count',
        '3',
        '--timeout',
        '15s',
        '--interval',
        '200ms',
        '--json',
      ],
      {
        onStderr: (chunk) => {
          if (chunk.includes('Tailing deliveries')) started();
        },
      },
    );
    await tailing;
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(
        json<{ id: string }>(
          await cli(['events', 'send', 'invoice.created', '--data', `{"n":${i}}`, '--json']),
        ).id,
      );
    }
    const result = await tail;
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.delivery.event_id).sort()).toEqual([...sent].sort());
    expect(lines.every((l) => l.delivery.status === 'succeeded')).toBe(true);
  });

  it('deletes an endpoint', async () => {
    const created = json<{ id: string }>(
      await cli(['endpoints', 'create', `${mock.url}/gone`, '--events', '*', '--json']),
    );
    const deleted = await cli(['endpoints', 'delete', created.id]);
    expect(deleted.code).toBe(0);
    const missing = await cli(['endpoints', 'get', created.id]);
    expect(missing.code).toBe(1);
    expect(expectOneLine(missing.stderr)).toMatch(/^acme-webhooks: 404 /);
  });
});
