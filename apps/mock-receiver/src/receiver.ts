import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify, WebhookVerificationError } from '@acme/webhook-verify';
import {
  type Behavior,
  BehaviorSpecError,
  DEFAULT_BEHAVIOR,
  decideOutcome,
  type Outcome,
  parseBehavior,
} from './behavior.js';
import { renderDashboard } from './dashboard.js';
import { formatRequestLine } from './log-line.js';
import { mulberry32, pathSeed } from './random.js';

export interface MockReceiverOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Endpoint secret(s); when given, every request's signature is checked and the verdict recorded. */
  secrets?: string | string[];
  /** Global behaviour spec, e.g. `fail-first:2,delay:100`. */
  behavior?: string;
  /** Seed for `flaky:<p>`; the same seed and request order give the same answers. */
  seed?: number;
  /** `true` logs one line per request to stdout; a function receives the lines instead. */
  log?: boolean | ((line: string) => void);
  /** How many requests to remember (oldest are dropped first). Default 1000. */
  maxRequests?: number;
  /** Signature timestamp tolerance passed to the SDK, in seconds. Default: the SDK's (300). */
  toleranceSeconds?: number;
}

export interface SignatureVerdict {
  /** true/false when secrets are configured; null when nothing was checked. */
  valid: boolean | null;
  /** The SDK's error code (`signature_mismatch`, …) when invalid, else null. */
  error: string | null;
  /** The SDK's explanation when invalid. */
  message?: string;
}

export interface ReceivedRequest {
  id: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[]>;
  body: string;
  received_at: string;
  event_id: string | null;
  event_type: string | null;
  signature: SignatureVerdict;
  /** The status answered; null while waiting (delay) or when the request timed out or was reset. */
  response_status: number | null;
  /** `pending` until answered; `timeout` = held without answer, `reset` = connection destroyed. */
  outcome: 'pending' | 'answered' | 'timeout' | 'reset';
  delay_ms: number;
}

export interface MockReceiver {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  port: number;
  /** Requests received so far, oldest first; only those on `path` when given. */
  requests(path?: string): ReceivedRequest[];
  /** Sets the global behaviour, or one path's (an empty spec removes a path's override). Resets that behaviour's counters. */
  setBehavior(spec: string, path?: string): void;
  /** Removes every behaviour (global and per path): all paths answer 200 again, counters reset. */
  resetBehaviors(): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Stops listening and drops every open connection, including held `timeout` ones. */
  close(): Promise<void>;
}

const CONTROL_PREFIX = '/_mock';
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The control API's own routes: never a webhook, never given a behaviour. */
function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

interface PathState {
  count: number;
  random: () => number;
}

function problem(res: ServerResponse, status: number, title: string, detail: string, extra?: object): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail, ...extra });
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(body);
}

interface FieldError {
  field: string;
  message: string;
}

/** A 400 whose `errors` names every bad field, so a script can tell which part of its request to fix. */
function badRequest(res: ServerResponse, errors: FieldError[]): void {
  problem(res, 400, 'Bad Request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size < MAX_BODY_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES);
}

function plainHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function firstHeader(headers: Record<string, string | string[]>, name: string): string | null {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function eventOf(
  body: string,
  headers: Record<string, string | string[]>,
): { id: string | null; type: string | null } {
  let id = firstHeader(headers, 'webhook-id');
  let type = firstHeader(headers, 'x-webhook-event');
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const event = parsed as { id?: unknown; type?: unknown };
      if (typeof event.id === 'string') id = event.id;
      if (typeof event.type === 'string') type = event.type;
    }
  } catch {
    // Not JSON: the headers are all we know.
  }
  return { id, type };
}

function checkSignature(
  body: Buffer,
  headers: Record<string, string | string[]>,
  secrets: string[],
  toleranceSeconds: number | undefined,
): SignatureVerdict {
  if (secrets.length === 0) return { valid: null, error: null };
  try {
    verify(body, headers, secrets, toleranceSeconds === undefined ? undefined : { toleranceSeconds });
    return { valid: true, error: null };
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      return { valid: false, error: error.code, message: error.message };
    }
    return { valid: false, error: 'verify_failed', message: String(error) };
  }
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startMockReceiver(options: MockReceiverOptions = {}): Promise<MockReceiver> {
  const secrets = options.secrets === undefined ? [] : [options.secrets].flat();
  const maxRequests = options.maxRequests ?? 1000;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const log =
    options.log === true
      ? (line: string) => process.stdout.write(`${line}\n`)
      : typeof options.log === 'function'
        ? options.log
        : undefined;

  let globalBehavior: Behavior = options.behavior ? parseBehavior(options.behavior) : DEFAULT_BEHAVIOR;
  const pathBehaviors = new Map<string, Behavior>();
  const pathStates = new Map<string, PathState>();
  const history: ReceivedRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  let nextId = 1;

  const stateOf = (path: string): PathState => {
    let state = pathStates.get(path);
    if (!state) {
      state = { count: 0, random: mulberry32(pathSeed(seed, path)) };
      pathStates.set(path, state);
    }
    return state;
  };

  const setBehavior = (spec: string, path?: string): void => {
    const behavior = parseBehavior(spec);
    if (path === undefined) {
      globalBehavior = behavior;
      // Restart the paths that follow the global behaviour; a path with its own keeps its counter.
      for (const known of pathStates.keys()) {
        if (!pathBehaviors.has(known)) pathStates.delete(known);
      }
    } else {
      if (behavior.spec === '') pathBehaviors.delete(path);
      else pathBehaviors.set(path, behavior);
      pathStates.delete(path);
    }
    log?.(
      `${new Date().toISOString()} behavior ${path ?? '(global)'} = ${behavior.spec || (path ? '(global behavior)' : 'status 200')}`,
    );
  };

  const resetBehaviors = (): void => {
    globalBehavior = DEFAULT_BEHAVIOR;
    pathBehaviors.clear();
    pathStates.clear();
    log?.(`${new Date().toISOString()} behavior reset: every path answers 200`);
  };

  const requestsOn = (path?: string | null): ReceivedRequest[] =>
    path ? history.filter((r) => r.path === path) : [...history];
  const clearRequests = (): void => {
    history.length = 0;
  };

  const behaviorsView = () => ({
    global: globalBehavior.spec,
    paths: Object.fromEntries([...pathBehaviors].map(([path, behavior]) => [path, behavior.spec])),
  });

  const carryOut = (record: ReceivedRequest, outcome: Outcome, req: IncomingMessage, res: ServerResponse) => {
    if (outcome.kind === 'timeout') {
      // Hold the socket open without answering; close() destroys it.
      record.outcome = 'timeout';
      return;
    }
    if (outcome.kind === 'reset') {
      record.outcome = 'reset';
      // A TCP RST where the platform supports it, so clients see ECONNRESET rather than a clean close.
      req.socket.resetAndDestroy();
      return;
    }
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (outcome.retryAfterSeconds !== undefined) headers['retry-after'] = String(outcome.retryAfterSeconds);
    record.response_status = outcome.status;
    record.outcome = 'answered';
    res.writeHead(outcome.status, headers);
    res.end(JSON.stringify({ received: outcome.status < 300, id: record.id, status: outcome.status }));
  };

  const handleWebhook = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    // Signatures cover the bytes as sent: verify those, not their UTF-8 decoding (which can differ).
    const raw = await readBody(req);
    const body = raw.toString('utf8');
    const headers = plainHeaders(req);
    const path = url.pathname;
    const behavior = pathBehaviors.get(path) ?? globalBehavior;
    const state = stateOf(path);
    const outcome = decideOutcome(behavior, state.count, state.random);
    state.count += 1;

    const event = eventOf(body, headers);
    const record: ReceivedRequest = {
      id: `req_${nextId++}`,
      method: req.method ?? 'GET',
      path,
      query: url.search,
      headers,
      body,
      received_at: new Date().toISOString(),
      event_id: event.id,
      event_type: event.type,
      signature: checkSignature(raw, headers, secrets, options.toleranceSeconds),
      response_status: null,
      outcome: 'pending',
      delay_ms: outcome.delayMs,
    };
    history.push(record);
    if (history.length > maxRequests) history.splice(0, history.length - maxRequests);
    log?.(formatRequestLine(record, outcome));

    if (outcome.delayMs > 0 && outcome.kind !== 'timeout') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        carryOut(record, outcome, req, res);
      }, outcome.delayMs);
      pendingTimers.add(timer);
    } else {
      carryOut(record, outcome, req, res);
    }
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const route = url.pathname.replace(/\/+$/, '');
    switch (`${req.method} ${route}`) {
      case 'GET /_mock':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(renderDashboard(history, behaviorsView(), secrets.length > 0));
        return;
      case 'GET /_mock/requests':
        json(res, 200, { data: requestsOn(url.searchParams.get('path')) });
        return;
      case 'DELETE /_mock/requests':
        clearRequests();
        res.writeHead(204).end();
        return;
      case 'GET /_mock/behavior':
        json(res, 200, behaviorsView());
        return;
      case 'PUT /_mock/behavior':
        return putBehavior(req, res);
      case 'DELETE /_mock/behavior':
        resetBehaviors();
        json(res, 200, behaviorsView());
        return;
    }
    const known = ['/_mock', '/_mock/requests', '/_mock/behavior'];
    if (known.includes(route)) {
      problem(res, 405, 'Method Not Allowed', `${req.method} is not supported on ${url.pathname}`);
    } else {
      problem(
        res,
        404,
        'Not Found',
        `${url.pathname} is not a control route; try GET /_mock, GET|DELETE /_mock/requests or GET|PUT|DELETE /_mock/behavior`,
      );
    }
  };

  const putBehavior = async (req: IncomingMessage, res: ServerResponse) => {
    let input: unknown;
    try {
      input = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      input = undefined;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      badRequest(res, [
        { field: 'body', message: 'must be a JSON object: {"path"?: "/hook", "spec": "status:500"}' },
      ]);
      return;
    }
    const { path, spec } = input as { path?: unknown; spec?: unknown };
    const errors: FieldError[] = [];
    if (typeof spec !== 'string')
      errors.push({ field: 'spec', message: 'must be a string, e.g. "fail-first:2"' });
    if (path !== undefined && path !== null) {
      if (typeof path !== 'string' || !path.startsWith('/')) {
        errors.push({ field: 'path', message: 'must be a path starting with "/"' });
      } else if (isControlPath(path)) {
        errors.push({ field: 'path', message: 'the /_mock routes cannot have a behavior' });
      }
    }
    if (errors.length > 0) {
      badRequest(res, errors);
      return;
    }
    try {
      setBehavior(spec as string, typeof path === 'string' ? path : undefined);
    } catch (error) {
      if (error instanceof BehaviorSpecError) {
        problem(res, 400, 'Invalid behavior spec', error.message, {
          token: error.token,
          errors: [{ field: 'spec', message: error.message }],
        });
        return;
      }
      throw error;
    }
    json(res, 200, behaviorsView());
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const handling = isControlPath(url.pathname)
      ? handleControl(req, res, url)
      : handleWebhook(req, res, url);
    handling.catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        problem(res, 500, 'Internal Server Error', 'the mock receiver failed to handle this request');
      }
      log?.(`${new Date().toISOString()} error handling ${req.method} ${url.pathname}: ${String(error)}`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: formatUrl(address),
    port: address.port,
    requests: requestsOn,
    setBehavior,
    resetBehaviors,
    clearRequests,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close(() => resolve());
        // Held (`timeout`) and keep-alive sockets would otherwise keep close() waiting forever.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
