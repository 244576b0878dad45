#!/usr/bin/env node
// Delivery benchmark. Four ways of getting the same signed POSTs to the same local receiver, measured in one
// run so the ratios compare like with like on whatever machine this is:
//   1. raw ceiling: signed POSTs straight from one Node process (nothing durable);
//   2. hand-rolled: a BullMQ job per delivery on the local Redis, exponential backoff (what teams build);
//   3. Acme Webhooks: POST /events from 32 concurrent producers, MySQL outbox, full attempt log;
//   4. two-hop ceiling (run before 3): the same 32 producers POST each event to a bare relay process
//      (scripts/bench-relay.mjs: 202 at once, queued in memory, signed and POSTed on by 64 senders): two HTTP
//      hops per event and nothing durable, a bound for any design that takes each event in over HTTP, as 3 does.
// Then publish→receipt latency at a steady rate, the server's CPU per delivery and its peak RSS. Last line: a JSON object.
//
// Options (env): BENCH_EVENTS (default 3000), BENCH_RATE (200), BENCH_RATE_SECONDS (10),
// MYSQL_URL (mysql://root@127.0.0.1:3306), REDIS_URL (redis://127.0.0.1:6379),
// BENCH_MAX_CONCURRENCY (the bench endpoint's max_concurrency, default 64: the same 64 requests in flight as the
// baselines; `default` leaves the server's default of 10),
// BENCH_SERVER_NODE_ARGS (extra node flags for the server process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
// BENCH_SERVER_MAIN (the server's entry file, default apps/server/dist/main.js: to compare two builds),
// BENCH_DATABASE (`mysql`, the default, or `sqlite`: ours on the embedded default, a fresh file in a temp folder).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import mysql from 'mysql2/promise';
import { Agent, request } from 'undici';
import { signedPost } from './signed-post.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 3000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const CONCURRENCY = 32;
const MAX_CONCURRENCY =
  process.env.BENCH_MAX_CONCURRENCY === 'default'
    ? undefined
    : Number(process.env.BENCH_MAX_CONCURRENCY ?? 64);
const SERVER_MAIN = process.env.BENCH_SERVER_MAIN ?? join(root, 'apps/server/dist/main.js');
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const API_KEY = 'bench-admin-key-0123456789';
const DATABASE = process.env.BENCH_DATABASE ?? 'mysql';
if (DATABASE !== 'mysql' && DATABASE !== 'sqlite') throw new Error('BENCH_DATABASE must be mysql or sqlite');
const STORE_NAME = DATABASE === 'sqlite' ? 'SQLite' : 'MySQL';

const log = (line) => process.stderr.write(`${line}\n`);

/** A receiver that answers 200 and remembers when each event id first arrived. */
async function startReceiver() {
  const firstSeen = new Map();
  let received = 0;
  let waiter = null;
  const server = createServer((req, res) => {
    req.resume(); // the body is not looked at: only when the webhook-id first arrived
    req.on('end', () => {
      received++;
      const id = req.headers['webhook-id'];
      if (!firstSeen.has(id)) firstSeen.set(id, performance.now());
      res.writeHead(200).end();
      if (waiter && firstSeen.size >= waiter.count) waiter.resolve();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    firstSeen,
    get received() {
      return received;
    },
    reset() {
      firstSeen.clear();
      received = 0;
    },
    waitFor(count, timeoutMs) {
      if (firstSeen.size >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${firstSeen.size} of ${count} deliveries arrived`)),
          timeoutMs,
        );
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            waiter = null;
            resolve();
          },
        };
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The event the baselines (1, 2) send, shaped like the server's. */
function event(id) {
  return {
    id,
    type: 'invoice.paid',
    created_at: new Date().toISOString(),
    data: { id: `inv_${id}`, amount_due: 4900, currency: 'GBP' },
  };
}

async function pool(count, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function rawCeiling(receiver) {
  receiver.reset();
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const started = performance.now();
  await pool(EVENTS, 64, (i) => signedPost(dispatcher, receiver.url, SECRET, event(`raw_${i}`)));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  return EVENTS / seconds;
}

async function bullmqBaseline(receiver) {
  receiver.reset();
  const connection = { host: REDIS.hostname, port: Number(REDIS.port || 6379) };
  const name = `acme-bench-${process.pid}`;
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true }).catch(() => {});
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const worker = new Worker(name, (job) => signedPost(dispatcher, receiver.url, SECRET, event(job.data.id)), {
    connection,
    concurrency: 64,
    autorun: false,
  });
  const started = performance.now();
  const jobs = Array.from({ length: EVENTS }, (_, i) => ({
    name: 'deliver',
    data: { id: `bull_${i}` },
    opts: { attempts: 9, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true },
  }));
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  worker.run();
  await receiver.waitFor(EVENTS, 120_000);
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await dispatcher.close();
  return EVENTS / seconds;
}

/** Waits (bounded) for a child process to exit after SIGTERM; SIGKILL if it has not after 10 s. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A producer's API client: the same request for the relay (4) and the real server (3). */
function apiClient(base, dispatcher) {
  return async (method, path, payload) => {
    const res = await request(`${base}${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode} ${text}`);
    return JSON.parse(text);
  };
}

/** The relay of (4) in its own process, like the real server; resolves once it has printed its URL. */
async function startRelay(receiver) {
  const child = spawn(process.execPath, [join(root, 'scripts/bench-relay.mjs')], {
    env: { ...process.env, RELAY_TARGET: receiver.url, RELAY_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`relay exited (${code ?? signal}):\n${output}`)));
    child.once('error', reject);
  });
  exited.catch(() => {});
  let timer;
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
      const match = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (match) resolve(match[1]);
    });
    timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 10_000);
  });
  try {
    return { child, exited, url: await Promise.race([url, exited]) };
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

// Two-hop ceiling: 32 producers POST EVENTS events to the relay exactly as they publish to our server in (3);
// the relay answers 202 at once and sends each on, signed. The clock starts before the first publish and
// stops when the receiver has seen the last event. Nothing is durable: this is what two HTTP hops cost.
async function twoHopCeiling(receiver) {
  const relay = await startRelay(receiver);
  const api = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
  const call = apiClient(relay.url, api);
  try {
    receiver.reset();
    const started = performance.now();
    await Promise.race([
      pool(EVENTS, CONCURRENCY, (i) => call('POST', '/events', { type: 'invoice.paid', data: { n: i } })),
      relay.exited,
    ]);
    const publishSeconds = (performance.now() - started) / 1000;
    log(
      `  (two-hop: all ${EVENTS} accepted after ${publishSeconds.toFixed(2)} s: ${(EVENTS / publishSeconds).toFixed(0)} publishes/s)`,
    );
    await Promise.race([receiver.waitFor(EVENTS, 120_000), relay.exited]);
    return EVENTS / ((performance.now() - started) / 1000);
  } finally {
    await stopChild(relay.child);
    await api.close();
  }
}

/**
 * Where ours keeps its data for one run: a fresh MySQL database, or (BENCH_DATABASE=sqlite) a SQLite
 * file in a fresh temp folder. `attempts()` counts the attempt log; `drop()` removes it all.
 */
async function freshStore() {
  if (DATABASE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'acme-bench-'));
    const file = join(dir, 'webhooks.sqlite');
    return {
      url: `sqlite:${file}`,
      async attempts() {
        const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
        try {
          return Number(db.prepare('SELECT COUNT(*) AS n FROM attempts').get().n);
        } finally {
          db.close();
        }
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = `acme_bench_${process.pid}`;
  const admin = await mysql.createConnection(MYSQL_URL);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  return {
    url: `${MYSQL_URL}/${database}`,
    async attempts() {
      const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM \`${database}\`.attempts`);
      return Number(rows[0].n);
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    },
  };
}

async function startAcme(databaseUrl) {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, SERVER_MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      WEBHOOKS_API_KEY: API_KEY,
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOKS_ROLE: 'all',
      WEBHOOKS_API_RATE_LIMIT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let timer;
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
    timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
  }).finally(() => clearTimeout(timer));
  return { child, url };
}

/** CPU time (user + system) a process has used so far, in ms (Linux `/proc/<pid>/stat`, clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function acme(receiver) {
  const store = await freshStore();
  let server;
  try {
    server = await startAcme(store.url);
  } catch (error) {
    await store.drop();
    throw error;
  }
  const api = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
  const call = apiClient(server.url, api);
  try {
    await call('POST', '/webhook-endpoints', {
      url: receiver.url,
      events: ['invoice.*'],
      ...(MAX_CONCURRENCY === undefined ? {} : { max_concurrency: MAX_CONCURRENCY }),
    });

    // Throughput: 32 producers publish EVENTS events; the clock stops when the last one is received.
    receiver.reset();
    const cpuBefore = cpuMs(server.child.pid);
    const started = performance.now();
    await pool(EVENTS, CONCURRENCY, (i) => call('POST', '/events', { type: 'invoice.paid', data: { n: i } }));
    const publishSeconds = (performance.now() - started) / 1000;
    log(
      `  (all ${EVENTS} accepted after ${publishSeconds.toFixed(2)} s: ${(EVENTS / publishSeconds).toFixed(0)} publishes/s)`,
    );
    await receiver.waitFor(EVENTS, 300_000);
    const throughput = EVENTS / ((performance.now() - started) / 1000);
    // Less noisy than deliveries/s on a shared machine: what each delivery cost the server.
    const serverCpuPerDelivery = (cpuMs(server.child.pid) - cpuBefore) / EVENTS;
    const duplicates = receiver.received - receiver.firstSeen.size;

    // Latency: a steady RATE events/s; publish→receipt is from sending the POST to the receiver's first sight.
    receiver.reset();
    const sentAt = new Map();
    const answeredAt = new Map();
    const total = RATE * RATE_SECONDS;
    const interval = 1000 / RATE;
    const t0 = performance.now();
    const inflight = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const at = performance.now();
      inflight.push(
        call('POST', '/events', { type: 'invoice.paid', data: { n: i } }).then((e) => {
          sentAt.set(e.id, at);
          answeredAt.set(e.id, performance.now());
        }),
      );
    }
    await Promise.all(inflight);
    await receiver.waitFor(total, 120_000);
    const latencies = [...sentAt].map(([id, at]) => receiver.firstSeen.get(id) - at).sort((a, b) => a - b);
    // Where a slow one spent its time: waiting for the 202 (the publish), or after it (the delivery).
    const toAnswer = [...sentAt].map(([id, at]) => answeredAt.get(id) - at).sort((a, b) => a - b);
    const afterAnswer = [...sentAt]
      .map(([id]) => receiver.firstSeen.get(id) - answeredAt.get(id))
      .sort((a, b) => a - b);

    // A delivery's attempt is recorded just after the receiver saw it: wait (bounded) for the last records.
    const expected = EVENTS + total;
    let attemptsLogged;
    for (let waited = 0; ; waited += 50) {
      attemptsLogged = await store.attempts();
      if (attemptsLogged >= expected || waited >= 5_000) break;
      await sleep(50);
    }
    return {
      throughput,
      duplicates,
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
      answerP99: percentile(toAnswer, 99),
      afterAnswerP99: percentile(afterAnswer, 99),
      peakRssMb: peakRssMb(server.child.pid),
      serverCpuPerDelivery,
      attemptsLogged,
    };
  } finally {
    await stopChild(server.child);
    await api.close();
    await store.drop();
  }
}

const receiver = await startReceiver();
try {
  log(
    `acme-webhooks bench: ${EVENTS} deliveries per run, one local receiver (endpoint max_concurrency ${MAX_CONCURRENCY ?? 'default'}), node ${process.version}`,
  );
  const raw = await rawCeiling(receiver);
  log(`raw ceiling (signed POSTs, one process):     ${raw.toFixed(0)} deliveries/s`);
  const bull = await bullmqBaseline(receiver);
  log(`BullMQ job per delivery (Redis):             ${bull.toFixed(0)} deliveries/s`);
  const twoHop = await twoHopCeiling(receiver);
  log(`two-hop ceiling (HTTP in → HTTP out, no DB):  ${twoHop.toFixed(0)} deliveries/s`);
  const ours = await acme(receiver);
  log(`Acme Webhooks (POST /events → ${STORE_NAME} outbox): ${ours.throughput.toFixed(0)} deliveries/s`);
  log(
    `  ratio to raw ceiling: ${(ours.throughput / raw).toFixed(2)}   ratio to BullMQ: ${(ours.throughput / bull).toFixed(2)}   ratio to two-hop ceiling: ${(ours.throughput / twoHop).toFixed(2)}`,
  );
  log(`  two-hop ceiling / BullMQ: ${(twoHop / bull).toFixed(2)}`);
  log(
    `  publish→receipt at ${RATE}/s: p50 ${ours.latencyP50.toFixed(1)} ms, p99 ${ours.latencyP99.toFixed(1)} ms` +
      ` (p99 publish→202 ${ours.answerP99.toFixed(1)} ms, 202→receipt ${ours.afterAnswerP99.toFixed(1)} ms)`,
  );
  log(`  server CPU per delivery (throughput run): ${ours.serverCpuPerDelivery.toFixed(2)} ms`);
  log(
    `  server peak RSS: ${ours.peakRssMb} MiB; attempts logged in ${STORE_NAME}: ${ours.attemptsLogged}; duplicates: ${ours.duplicates}`,
  );
  console.log(
    JSON.stringify({
      events: EVENTS,
      database: DATABASE,
      raw_deliveries_per_s: Math.round(raw),
      bullmq_deliveries_per_s: Math.round(bull),
      acme_deliveries_per_s: Math.round(ours.throughput),
      ratio_to_raw: Number((ours.throughput / raw).toFixed(3)),
      ratio_to_bullmq: Number((ours.throughput / bull).toFixed(3)),
      two_hop_deliveries_per_s: Math.round(twoHop),
      ratio_to_two_hop: Number((ours.throughput / twoHop).toFixed(3)),
      two_hop_ratio_to_bullmq: Number((twoHop / bull).toFixed(3)),
      latency_rate_per_s: RATE,
      latency_p50_ms: Number(ours.latencyP50.toFixed(1)),
      latency_p99_ms: Number(ours.latencyP99.toFixed(1)),
      latency_p99_publish_to_202_ms: Number(ours.answerP99.toFixed(1)),
      latency_p99_202_to_receipt_ms: Number(ours.afterAnswerP99.toFixed(1)),
      server_peak_rss_mb: ours.peakRssMb,
      server_cpu_ms_per_delivery: Number(ours.serverCpuPerDelivery.toFixed(3)),
      attempts_logged: ours.attemptsLogged,
      duplicates: ours.duplicates,
    }),
  );
} finally {
  await receiver.close();
}
