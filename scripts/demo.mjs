#!/usr/bin/env node
// `npm run demo`: the whole story of Acme Webhooks in about 20 seconds, narrated.
//
// It starts the delivery server (apps/server/dist/main.js) as a subprocess on a throw-away SQLite
// database with a short retry schedule (1s, 2s, 4s), and two mock receivers in this process: "analytics"
// (healthy) and "shipping" (down, answering 500). Then it registers an endpoint for each, publishes a
// few events and follows them through the HTTP API: deliveries succeeding, a delivery retrying and going
// dead, the receiver recovering, an endpoint replay recovering the dead letter, and a check that the
// replayed request carried the same webhook-id and the same body bytes.
//
//   node scripts/demo.mjs          run the story, clean up, exit 0 (1 with one line on stderr if a step fails)
//   node scripts/demo.mjs --keep   then leave the server and receivers running until Ctrl-C
//
// Colour only when stdout is a terminal and NO_COLOR is not set. Needs a build (`npm run demo` does it).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_MAIN = join(ROOT, 'apps/server/dist/main.js');
const MOCK_RECEIVER_MAIN = join(ROOT, 'apps/mock-receiver/dist/index.js');
const VERIFY_MAIN = join(ROOT, 'packages/webhook-verify/dist/index.js');

const RETRY_SCHEDULE = ['1s', '2s', '4s'];
const TOTAL_ATTEMPTS = RETRY_SCHEDULE.length + 1;
const DEMO_BUDGET_MS = 60_000;
const POLL_MS = 200;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: node scripts/demo.mjs [--keep]\n\n' +
      'Runs the Acme Webhooks server and two mock receivers, then narrates retries, a dead letter\n' +
      'and a replay. --keep leaves everything running afterwards until Ctrl-C.\n',
  );
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--keep');
if (unknown.length > 0) {
  process.stderr.write(`demo: unknown option ${unknown[0]} (usage: node scripts/demo.mjs [--keep])\n`);
  process.exit(2);
}
const KEEP = args.includes('--keep');

// ---------------------------------------------------------------------------------------------------
// Output

const COLOR = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code) => (text) => (COLOR ? `\x1b[${code}m${text}\x1b[0m` : String(text));
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const cyan = paint('36');

const say = (line = '') => process.stdout.write(`${line}\n`);
const heading = (text) => say(`\n${bold(cyan('▸'))} ${bold(text)}`);
const ok = (text) => say(`  ${green('✓')} ${text}`);
const bad = (text) => say(`  ${red('✗')} ${text}`);
const note = (text) => say(`  ${text}`);
const cli = (command) => say(`  ${dim(`$ acme-webhooks ${command}`)}`);

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;
const statusText = (code) => `${code} ${STATUS_CODES[code] ?? ''}`.trim();

class DemoError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Resources, and cleaning them up whatever happens

const state = {
  server: null,
  receivers: [],
  dataDir: null,
  cleaning: null,
  shuttingDown: false,
  keeping: false,
};

async function cleanup() {
  state.shuttingDown = true; // from here on, the server exiting is expected (Ctrl-C reaches it too)
  state.cleaning ??= (async () => {
    await Promise.allSettled(state.receivers.map((receiver) => receiver.close()));
    if (state.server) await state.server.stop();
    if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
  })();
  return state.cleaning;
}

async function fail(error) {
  const message = error instanceof DemoError ? error.message : `unexpected error: ${error?.stack ?? error}`;
  process.stderr.write(`${red('demo failed:')} ${message.split('\n')[0]}\n`);
  await cleanup().catch(() => {});
  process.exit(1);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    if (!state.keeping) process.stderr.write(`\ndemo: interrupted (${signal}), cleaning up\n`);
    void cleanup().finally(() => process.exit(state.keeping ? 0 : 130));
  });
}

/** Polls `probe` until it returns something other than undefined, or fails with "<what> did not happen…". */
async function waitFor(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoError(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------------
// The server

async function startServer(dataDir, apiKey) {
  if (!existsSync(SERVER_MAIN)) {
    throw new DemoError(`${SERVER_MAIN} does not exist: build first (npm run build), or use npm run demo`);
  }
  // The demo's own settings win over the caller's: no production mode, no other database.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('WEBHOOKS_') && !['NODE_ENV', 'DATABASE_URL', 'PORT', 'HOST'].includes(name),
    ),
  );
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: dataDir,
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dataDir, 'webhooks.sqlite')}`,
      WEBHOOKS_API_KEY: apiKey,
      WEBHOOKS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOKS_RETRY_SCHEDULE: RETRY_SCHEDULE.join(','),
      WEBHOOKS_REQUEST_TIMEOUT: '5s',
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listening = false;
  let bannerEnd = 0; // where the output after the start banner begins
  const lastLine = (from = 0) =>
    output
      .slice(from)
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .pop();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let stopping = false;
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DemoError(`the server did not start within 20 s; last output: ${lastLine() ?? 'none'}`));
    }, 20_000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.length > 64_000) {
        const cut = output.length - 32_000;
        output = output.slice(cut);
        bannerEnd = Math.max(0, bannerEnd - cut);
      }
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match && !listening) {
        listening = true;
        bannerEnd = output.length;
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new DemoError(`could not run the server: ${error.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new DemoError(`the server exited (${code}) before listening: ${lastLine() ?? 'no output'}`));
    });
  });
  // Once it runs, the server must keep running until we stop it.
  void exited.then((code) => {
    const last = lastLine(bannerEnd);
    const detail = last ? `; its last output: ${last}` : '';
    if (!stopping && !state.shuttingDown)
      void fail(new DemoError(`the server stopped unexpectedly (${code})${detail}`));
  });
  return {
    url,
    child,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function apiClient(baseUrl, apiKey) {
  return async function api(method, path, body) {
    let response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new DemoError(`${method} ${path} failed: ${error.cause?.message ?? error.message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        const problem = JSON.parse(text);
        detail = [problem.title, problem.detail].filter(Boolean).join(': ');
      } catch {}
      throw new DemoError(`${method} ${path} answered ${response.status}: ${detail}`);
    }
    return text ? JSON.parse(text) : null;
  };
}

// ---------------------------------------------------------------------------------------------------
// The story

async function main() {
  const startedAt = Date.now();
  const budget = setTimeout(() => {
    void fail(new DemoError(`the demo did not finish within ${DEMO_BUDGET_MS / 1000} s`));
  }, DEMO_BUDGET_MS);
  budget.unref();

  say(bold('Acme Webhooks demo: retries, a dead letter and a replay, live on this machine'));
  say(
    dim(
      `  One server, two receivers; the server retries after ${RETRY_SCHEDULE.join(', ')} here (in production:`,
    ),
  );
  say(dim('  5s, 1m, 5m, 30m, 2h, 6h, 12h, 24h, 24h). Takes about 10 seconds.'));

  // -- Setting up ------------------------------------------------------------------------------------
  heading('Setting up');
  if (!existsSync(MOCK_RECEIVER_MAIN) || !existsSync(VERIFY_MAIN)) {
    throw new DemoError('the mock receiver or @acme/webhook-verify is not built: run npm run build first');
  }
  const { startMockReceiver } = await import(pathToFileURL(MOCK_RECEIVER_MAIN).href);
  const { verify } = await import(pathToFileURL(VERIFY_MAIN).href);

  state.dataDir = mkdtempSync(join(tmpdir(), 'acme-webhooks-demo-'));
  const apiKey = `demo_${randomBytes(18).toString('base64url')}`;
  state.server = await startServer(state.dataDir, apiKey);
  const server = state.server;
  const api = apiClient(server.url, apiKey);
  await waitFor('the server becoming ready (GET /readyz)', async () => {
    const response = await fetch(`${server.url}/readyz`).catch(() => null);
    return response?.ok ? true : undefined;
  });
  note(`server     ${server.url}  (SQLite in ${state.dataDir}, deleted at the end)`);

  const analytics = await startMockReceiver({ port: 0, host: '127.0.0.1' });
  state.receivers.push(analytics);
  const shipping = await startMockReceiver({ port: 0, host: '127.0.0.1', behavior: 'status:500' });
  state.receivers.push(shipping);
  note(`receivers  analytics  ${analytics.url}  healthy: answers 200`);
  note(`           shipping   ${shipping.url}  down: answers 500 Internal Server Error to everything`);

  const analyticsEndpoint = await api('POST', '/webhook-endpoints', {
    url: `${analytics.url}/webhooks`,
    events: ['*'],
    description: 'analytics: every event',
  });
  const shippingEndpoint = await api('POST', '/webhook-endpoints', {
    url: `${shipping.url}/webhooks`,
    events: ['order.*'],
    description: 'shipping: orders only',
  });
  note(`endpoint   ${analyticsEndpoint.id}  → analytics, subscribed to *`);
  note(`endpoint   ${shippingEndpoint.id}  → shipping,  subscribed to order.*`);
  cli(`endpoints create ${shippingEndpoint.url} --events 'order.*' --description 'shipping: orders only'`);

  // -- Publishing ------------------------------------------------------------------------------------
  heading('1. Publishing three events');
  const published = [
    { type: 'invoice.paid', data: { invoice_id: 'inv_1001', amount: 4900, currency: 'usd' } },
    { type: 'order.created', data: { order_id: 'ord_2001', items: 2, ship_to: 'Lisbon' } },
    { type: 'customer.updated', data: { customer_id: 'cus_3001', email: 'ada@example.com' } },
  ];
  const events = [];
  for (const { type, data } of published) {
    const event = await api('POST', '/events', { type, data });
    events.push(event);
    const to = type.startsWith('order.') ? 'analytics and shipping' : 'analytics';
    note(`${event.id}  ${type.padEnd(16)} → ${to}`);
  }
  const orderEvent = events[1];
  cli(`events send order.created --data '${JSON.stringify(published[1].data)}'`);

  // -- The healthy receiver --------------------------------------------------------------------------
  heading('2. The healthy receiver gets its events at once');
  const analyticsDeliveries = await waitFor('three succeeded deliveries to analytics', async () => {
    const { data } = await api('GET', `/deliveries?endpoint_id=${analyticsEndpoint.id}`);
    return data.length === events.length && data.every((d) => d.status === 'succeeded') ? data : undefined;
  });
  for (const event of events) {
    const delivery = analyticsDeliveries.find((d) => d.event_id === event.id);
    const { data: attempts } = await api('GET', `/deliveries/${delivery.id}/attempts`);
    const last = attempts.at(-1);
    ok(
      `${event.type.padEnd(16)} delivered to analytics on attempt ${delivery.attempts} ` +
        `(${statusText(delivery.last_status_code)} in ${last.duration_ms} ms)`,
    );
  }

  // -- Retries and the dead letter -------------------------------------------------------------------
  heading(
    `3. The shipping receiver is down: the server retries (${RETRY_SCHEDULE.join(', ')}, ±20 % jitter)`,
  );
  const shippingDelivery = await waitFor('the order.created delivery to shipping', async () => {
    const { data } = await api(
      'GET',
      `/deliveries?endpoint_id=${shippingEndpoint.id}&event_id=${orderEvent.id}`,
    );
    return data[0];
  });
  let printed = 0;
  let firstStart = null;
  let previousStart = null;
  const deadDelivery = await waitFor(
    `delivery ${shippingDelivery.id} going dead after ${TOTAL_ATTEMPTS} attempts`,
    async () => {
      const delivery = await api('GET', `/deliveries/${shippingDelivery.id}`);
      if (delivery.attempts > printed) {
        const { data: attempts } = await api('GET', `/deliveries/${delivery.id}/attempts`);
        const fresh = attempts.slice(printed, delivery.attempts);
        for (const attempt of fresh) {
          const start = Date.parse(attempt.started_at);
          firstStart ??= start;
          const result = attempt.response
            ? statusText(attempt.response.status)
            : (attempt.error?.code ?? 'failed');
          const waited =
            previousStart === null ? '' : `, ${seconds(start - previousStart)} after the previous one`;
          const isLatest = attempt.attempt_number === delivery.attempts;
          let next = '';
          if (isLatest && delivery.status === 'retrying' && delivery.next_attempt_at) {
            const retry = attempt.attempt_number;
            next = `; retry ${retry} scheduled in ${seconds(Date.parse(delivery.next_attempt_at) - start)}`;
          } else if (isLatest && delivery.status === 'dead') {
            next = '; no retries left';
          }
          bad(
            `attempt ${attempt.attempt_number} at +${seconds(start - firstStart)}${waited}: ${result}${next}`,
          );
          previousStart = start;
        }
        printed += fresh.length;
      }
      if (delivery.status === 'succeeded' || delivery.status === 'cancelled') {
        throw new DemoError(`delivery ${delivery.id} ended ${delivery.status}, but the receiver is down`);
      }
      return delivery.status === 'dead' ? delivery : undefined;
    },
    30_000,
  );
  note(
    yellow(
      `Delivery ${deadDelivery.id} is dead after ${deadDelivery.attempts} attempts: ` +
        'the server gave up and put it in the dead-letter queue.',
    ),
  );
  const { data: deadLetters } = await api('GET', '/deliveries?status=dead');
  const plural = deadLetters.length === 1 ? 'delivery' : 'deliveries';
  note(`Dead-letter queue (GET /deliveries?status=dead): ${deadLetters.length} ${plural}`);
  for (const d of deadLetters) {
    note(dim(`  ${d.id}  event ${d.event_id}  ${d.attempts} attempts, last answer ${d.last_status_code}`));
  }
  if (!deadLetters.some((d) => d.id === deadDelivery.id)) {
    throw new DemoError(`${deadDelivery.id} is dead but not listed by GET /deliveries?status=dead`);
  }
  cli(`deliveries attempts ${deadDelivery.id}`);
  cli('deliveries list --status dead');

  // -- Recovery --------------------------------------------------------------------------------------
  heading('4. The shipping receiver recovers');
  shipping.resetBehaviors(); // the mock receiver answers 200 from now on
  const test = await api('POST', `/webhook-endpoints/${shippingEndpoint.id}/test`, {});
  if (test.delivery.status !== 'succeeded') {
    throw new DemoError(`the test delivery to the recovered receiver ended ${test.delivery.status}`);
  }
  ok(
    `shipping answers 200 again; a test delivery confirms it (${statusText(test.attempt.response.status)} ` +
      `in ${test.attempt.duration_ms} ms; tests are never retried and do not count in stats)`,
  );
  cli(`endpoints test ${shippingEndpoint.id}`);
  note(`The dead letter does not come back on its own: the server stopped trying. Time to replay.`);

  // -- Replay ----------------------------------------------------------------------------------------
  heading('5. Replaying what shipping missed');
  const since = shippingEndpoint.created_at;
  const dry = await api('POST', `/webhook-endpoints/${shippingEndpoint.id}/replay`, { since, dry_run: true });
  note(`dry run since ${since}: ${dry.matched} event(s) not yet delivered to shipping`);
  const replay = await api('POST', `/webhook-endpoints/${shippingEndpoint.id}/replay`, { since });
  note(
    `replay ${replay.id} started: ${replay.status}, ${replay.matched} matched, ${replay.enqueued} enqueued`,
  );
  let lastProgress = `${replay.status} ${replay.enqueued}`;
  const finished = await waitFor(`replay ${replay.id} completing`, async () => {
    const current = await api('GET', `/replays/${replay.id}`);
    const progress = `${current.status} ${current.enqueued}`;
    if (progress !== lastProgress) {
      note(`replay ${current.id}: ${current.status}, ${current.enqueued} of ${current.matched} enqueued`);
      lastProgress = progress;
    }
    if (current.status === 'failed') throw new DemoError(`replay ${current.id} failed: ${current.error}`);
    return current.status === 'completed' ? current : undefined;
  });
  if (finished.enqueued < 1)
    throw new DemoError(`replay ${finished.id} completed without enqueuing anything`);
  const replayed = await waitFor(`the replayed order.created delivery succeeding`, async () => {
    const { data } = await api(
      'GET',
      `/deliveries?endpoint_id=${shippingEndpoint.id}&event_id=${orderEvent.id}`,
    );
    const delivery = data.find((d) => d.trigger === 'replay');
    if (delivery?.status === 'dead') throw new DemoError(`the replayed delivery ${delivery.id} went dead`);
    return delivery?.status === 'succeeded' ? delivery : undefined;
  });
  ok(
    `dead letter recovered: ${orderEvent.type} delivered to shipping by the replay ` +
      `(new delivery ${replayed.id}, trigger replay, ${statusText(replayed.last_status_code)} on attempt ${replayed.attempts})`,
  );
  const again = await api('POST', `/webhook-endpoints/${shippingEndpoint.id}/replay`, {
    since,
    dry_run: true,
  });
  note(
    `a second dry run over the same window now matches ${again.matched} event(s): nothing left to recover`,
  );
  if (again.matched !== 0) throw new DemoError(`a dry run after the replay still matched ${again.matched}`);
  cli(`replay endpoint ${shippingEndpoint.id} --since ${since} --wait`);
  cli(`replay get ${replay.id}`);

  // -- Receipt ---------------------------------------------------------------------------------------
  heading('6. Checking what the shipping receiver actually received');
  const received = shipping.requests('/webhooks').filter((r) => r.event_id === orderEvent.id);
  const failures = received.filter((r) => r.response_status !== 200);
  const successes = received.filter((r) => r.response_status === 200);
  note(
    `${orderEvent.id} arrived ${received.length} times: ${failures.length} answered 500 while down, ` +
      `${successes.length} answered 200 after the replay`,
  );
  if (failures.length !== TOTAL_ATTEMPTS || successes.length !== 1) {
    throw new DemoError(
      `expected ${TOTAL_ATTEMPTS} failed requests and 1 successful one for ${orderEvent.id}, got ${failures.length} and ${successes.length}`,
    );
  }
  const ids = new Set(received.map((r) => r.headers['webhook-id']));
  if (ids.size !== 1 || !ids.has(orderEvent.id)) {
    throw new DemoError(`webhook-id differed between requests: ${[...ids].join(', ')}`);
  }
  ok(`same webhook-id on every request (${orderEvent.id}): consumers deduplicate on it`);
  const bodies = new Set(received.map((r) => r.body));
  if (bodies.size !== 1)
    throw new DemoError(`the body bytes differed between the ${received.length} requests`);
  const body = received[0].body;
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  ok(`identical body bytes on every request (${Buffer.byteLength(body)} bytes, sha256 ${digest}…)`);
  const parsed = JSON.parse(body);
  if (JSON.stringify(parsed.data) !== JSON.stringify(published[1].data)) {
    throw new DemoError('the delivered data is not what was published');
  }
  const analyticsCopy = analytics.requests('/webhooks').find((r) => r.event_id === orderEvent.id);
  if (analyticsCopy?.body !== body) throw new DemoError('analytics and shipping received different bodies');
  ok('the same bytes analytics received at once, with the data exactly as published');
  const replayedRequest = successes[0];
  try {
    verify(replayedRequest.body, replayedRequest.headers, shippingEndpoint.secret);
  } catch (error) {
    throw new DemoError(`the replayed request's signature did not verify: ${error.code ?? error.message}`);
  }
  const signedAt = replayedRequest.headers['webhook-timestamp'];
  ok(`the replayed request's signature verifies with @acme/webhook-verify (signed fresh at t=${signedAt})`);

  // -- Summary ---------------------------------------------------------------------------------------
  heading('Summary');
  const all = (await api('GET', '/deliveries?limit=250')).data.reverse(); // oldest first
  const describe = (list) => {
    const counts = {};
    for (const d of list) {
      const key = d.trigger === 'event' ? d.status : `${d.trigger} ${d.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return Object.entries(counts)
      .map(([key, count]) => `${count} ${key}`)
      .join(', ');
  };
  const toAnalytics = all.filter((d) => d.endpoint_id === analyticsEndpoint.id);
  const toShipping = all.filter((d) => d.endpoint_id === shippingEndpoint.id);
  note(`${events.length} events published, ${all.length} deliveries`);
  const firstTry = toAnalytics.every((d) => d.attempts === 1) ? ', every one on the first attempt' : '';
  note(`  to analytics: ${describe(toAnalytics)}${firstTry}`);
  note(`  to shipping:  ${describe(toShipping)}`);
  note(
    `shipping failed ${deadDelivery.attempts} attempts over ${seconds(previousStart - firstStart)}; ` +
      'the endpoint replay delivered the dead letter once it was back.',
  );
  note(dim('The dead delivery stays on record as dead; the replay made a new delivery of the same event.'));
  note(`Finished in ${seconds(Date.now() - startedAt)}.`);
  clearTimeout(budget);

  if (!KEEP) {
    await cleanup();
    say();
    say(green('Demo complete. Server stopped, receivers closed, temporary database removed.'));
    say(dim('To explore, run node scripts/demo.mjs --keep: it leaves everything running for the CLI, e.g.'));
    say(
      dim(
        '  acme-webhooks tail · acme-webhooks deliveries list --status dead · acme-webhooks replay get <rpl_…>',
      ),
    );
    return;
  }

  state.keeping = true;
  heading('Still running (--keep); Ctrl-C stops everything and removes the temporary database');
  note(`server          ${server.url}`);
  note(`API reference   ${server.url}/docs`);
  note(`admin key       ${apiKey}`);
  note(`analytics page  ${analytics.url}/_mock`);
  note(`shipping page   ${shipping.url}/_mock`);
  say();
  note('Try the CLI against it (npx acme-webhooks, in this repository):');
  note(dim(`  export ACME_WEBHOOKS_URL=${server.url} ACME_WEBHOOKS_API_KEY=${apiKey}`));
  cli('tail                       # follow deliveries live');
  cli(`deliveries list --endpoint ${shippingEndpoint.id} --status dead`);
  cli(`events send order.created --data '{"order_id":"ord_2002"}'`);
  note(
    dim(`Make shipping fail again: curl -X PUT ${shipping.url}/_mock/behavior -d '{"spec":"status:500"}'`),
  );
  await new Promise(() => {}); // until a signal handler exits
}

main().catch(fail);
