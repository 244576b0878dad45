import { Agent, Dispatcher, request } from 'undici';
import {
  AttemptErrorCode,
  AttemptTimeoutError,
  classifyTransportError,
  describeTransportError,
} from './attempt-error';
import { createPinnedConnector, ResolveAddresses } from './pinned-connector';

/** Response bodies are kept up to this many bytes (§3). */
export const MAX_RESPONSE_BODY_BYTES = 16 * 1024;
/** Beyond the kept part, at most this much more is read (and dropped) to keep the connection reusable. */
const MAX_DRAIN_BYTES = 1024 * 1024;

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface CapturedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
}

/** What one HTTP attempt produced: a response, an error, or both (a non-2xx answer is both). */
export interface SendResult {
  startedAt: Date;
  durationMs: number;
  response: CapturedResponse | null;
  error: { code: AttemptErrorCode; message: string } | null;
}

export interface HttpSenderOptions {
  /** Connect + full response, per attempt. */
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** For tests: a fake resolver, so no DNS query leaves the machine. */
  resolve?: ResolveAddresses;
  now?: () => Date;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * Sends deliveries over undici: one keep-alive pool per origin (the Agent keeps them), no redirect
 * following (no redirect interceptor is installed), the address policy enforced at connect time,
 * and one deadline over connect, headers and body.
 */
export class HttpSender {
  private readonly agent: Agent;
  private readonly now: () => Date;

  constructor(private readonly options: HttpSenderOptions) {
    this.now = options.now ?? (() => new Date());
    this.agent = new Agent({
      connect: createPinnedConnector({
        allowPrivateTargets: options.allowPrivateTargets,
        connectTimeoutMs: options.timeoutMs,
        resolve: options.resolve,
      }),
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  get dispatcher(): Dispatcher {
    return this.agent;
  }

  async send(outgoing: OutgoingRequest): Promise<SendResult> {
    const startedAt = this.now();
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(new AttemptTimeoutError(`no complete response within ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const finish = (response: CapturedResponse | null, error: SendResult['error']): SendResult => ({
      startedAt,
      durationMs: Math.max(0, Math.round(performance.now() - started)),
      response,
      error,
    });
    try {
      const answer = await request(outgoing.url, {
        method: 'POST',
        headers: outgoing.headers,
        body: outgoing.body,
        dispatcher: this.agent,
        signal: controller.signal,
      });
      const { body, truncated } = await readCapped(answer.body);
      const response: CapturedResponse = {
        status: answer.statusCode,
        headers: flattenHeaders(answer.headers),
        body,
        bodyTruncated: truncated,
      };
      return finish(response, responseError(answer.statusCode));
    } catch (error) {
      const cause = controller.signal.aborted ? controller.signal.reason : error;
      return finish(null, { code: classifyTransportError(cause), message: describeTransportError(cause) });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Drops every connection at once (shutdown after the drain deadline). */
  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}

function responseError(status: number): SendResult['error'] {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400)
    return { code: 'redirect', message: `HTTP ${status}: redirects are not followed` };
  return { code: 'http_status', message: `HTTP ${status}` };
}

/** Keeps the first 16 KiB; reads (and drops) up to 1 MiB more, then gives up on the connection. */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
): Promise<{ body: string; truncated: boolean }> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (keptBytes < MAX_RESPONSE_BODY_BYTES) {
      const room = MAX_RESPONSE_BODY_BYTES - keptBytes;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      kept.push(part);
      keptBytes += part.length;
      if (part.length < chunk.length) truncated = true;
    } else {
      truncated = true;
    }
    if (seen > MAX_RESPONSE_BODY_BYTES + MAX_DRAIN_BYTES) {
      body.destroy();
      break;
    }
  }
  return { body: new TextDecoder().decode(Buffer.concat(kept)), truncated };
}
