#!/usr/bin/env node
// The bench's two-hop relay (measurement 4 of scripts/bench.mjs): the least any design can do that takes each
// event in over HTTP and sends it out over HTTP. A bare node:http server answers every POST with 202 and
// {"id": …} at once and queues the event in memory (nothing durable, no validation, no retries); 64 senders
// sign each queued event with the bench's signedPost (scripts/signed-post.mjs) and POST it to the receiver
// over an undici Agent with 64 connections. Prints its URL on stdout once listening.
//
// Env: RELAY_TARGET (the receiver's URL), RELAY_SECRET (the signing secret). A failed send is fatal (exit 1):
// the bench's receiver always answers 200, so a failure means the measurement is broken.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Agent } from 'undici';
import { signedPost } from './signed-post.mjs';

const TARGET = process.env.RELAY_TARGET;
const SECRET = process.env.RELAY_SECRET;
const SENDERS = 64;
if (!TARGET || !SECRET) {
  process.stderr.write('bench-relay: RELAY_TARGET and RELAY_SECRET are required\n');
  process.exit(2);
}

/** Events accepted and not yet taken by a sender; idle senders wait on `idle`. */
const queue = [];
let head = 0;
const idle = [];

function enqueue(event) {
  const sender = idle.pop();
  if (sender) sender(event);
  else queue.push(event);
}

function next() {
  if (head < queue.length) {
    const event = queue[head];
    queue[head++] = undefined;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    return event;
  }
  return new Promise((resolve) => idle.push(resolve));
}

async function sender(dispatcher) {
  for (;;) await signedPost(dispatcher, TARGET, SECRET, await next());
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let input;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
      return;
    }
    const id = `evt_${randomUUID()}`;
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    enqueue({ id, type: input.type, created_at: new Date().toISOString(), data: input.data });
  });
});
server.keepAliveTimeout = 60_000;

const dispatcher = new Agent({ connections: SENDERS, keepAliveTimeout: 30_000 });
for (let i = 0; i < SENDERS; i++) {
  sender(dispatcher).catch((error) => {
    process.stderr.write(`bench-relay: send failed: ${error.stack ?? error}\n`);
    process.exit(1);
  });
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
});
