import { CliError, EXIT } from './errors.js';
import type { Page, Problem } from './types.js';

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
  /** Abort every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Per request, connect + full response. */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

const IS_KIND = {
  list: (value: unknown) => Array.isArray(value),
  object: (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value),
  string: (value: unknown) => typeof value === 'string',
};

/** Fields a 2xx answer must have, and their kind: anything else is not the Acme Webhooks API. */
export type Shape = Record<string, keyof typeof IS_KIND>;

/** Any one resource of the API (an event, a delivery…): it has its `id`. */
export const RESOURCE: Shape = { id: 'string' };

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  shape?: Shape;
}

/** The first field of `shape` that `value` lacks, as a user reads it: `no "data" list`. */
function missingField(value: unknown, shape: Shape): string | undefined {
  const record = IS_KIND.object(value) ? (value as Record<string, unknown>) : {};
  for (const [field, kind] of Object.entries(shape)) {
    if (!IS_KIND[kind](record[field])) return `no "${field}"${kind === 'string' ? '' : ` ${kind}`}`;
  }
  return undefined;
}

const USER_AGENT = 'acme-webhooks-cli/1.0';

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    default:
      return cause?.message ?? (error as Error).message ?? String(error);
  }
}

/** Turns a problem+json answer into the single line a user reads. */
export function describeProblem(status: number, problem: Problem | undefined, statusText: string): string {
  const title = problem?.title || statusText || 'Error';
  const detail = problem?.detail;
  const fieldErrors = (problem?.errors ?? [])
    .filter((e) => e && typeof e.field === 'string')
    .map((e) => `${e.field}: ${e.message}`);
  const parts = [detail, ...fieldErrors.filter((fe) => !detail?.includes(fe))]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    // Joined with "; ", so a sentence's own full stop would read "Invalid type.; type: …".
    .map((part) => part.replace(/\.$/, ''));
  const head = status === 400 ? `invalid request (400 ${title})` : `${status} ${title}`;
  return parts.length > 0 ? `${head}: ${parts.join('; ')}` : head;
}

/** The HTTP API of CONTRACT §3: JSON in and out, Bearer key, problem+json errors. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly base: URL;

  constructor(private readonly options: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new CliError(
        `invalid server URL "${options.baseUrl}": set ACME_WEBHOOKS_URL or --url to e.g. http://localhost:3000`,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new CliError(`invalid server URL "${options.baseUrl}": it must start with http:// or https://`);
    }
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    this.base = base;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  url(path: string, query?: Query): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    return url;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': USER_AGENT,
      ...options.headers,
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }

    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (this.options.signal) signals.push(this.options.signal);

    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers,
        body,
        signal: AbortSignal.any(signals),
        redirect: 'manual',
      });
    } catch (error) {
      if (this.options.signal?.aborted) throw new CliError('interrupted', EXIT.interrupted);
      if ((error as Error).name === 'TimeoutError') {
        throw new CliError(
          `no answer from the Acme Webhooks server at ${this.baseUrl} within ${timeoutMs / 1000}s`,
        );
      }
      throw new CliError(
        `cannot reach the Acme Webhooks server at ${this.baseUrl} (${describeNetworkError(error)}); is it running? Set ACME_WEBHOOKS_URL or --url`,
      );
    }

    const text = await response.text().catch(() => '');
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown;
    if (text !== '' && /json/i.test(contentType)) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }

    if (response.ok) {
      if ((response.status === 204 || text === '') && !options.shape) return undefined as T;
      if (parsed === undefined && text !== '') {
        throw new CliError(
          `unexpected answer from ${this.baseUrl}: ${method} ${path} returned ${response.status} ${contentType || 'without a content type'}, not JSON; is ACME_WEBHOOKS_URL the Acme Webhooks API?`,
        );
      }
      const missing = options.shape && missingField(parsed, options.shape);
      if (missing) {
        throw new CliError(
          `${this.baseUrl}${path} did not answer like an Acme Webhooks server (${missing}); check ACME_WEBHOOKS_URL or --url`,
        );
      }
      return parsed as T;
    }

    const problem = parsed && typeof parsed === 'object' ? (parsed as Problem) : undefined;
    if (response.status === 401) {
      throw new CliError(
        this.options.apiKey
          ? `the API key was rejected by ${this.baseUrl} (401): check ACME_WEBHOOKS_API_KEY or --api-key`
          : `no API key given and ${this.baseUrl} answered 401: set ACME_WEBHOOKS_API_KEY or pass --api-key`,
      );
    }
    if (!problem) {
      throw new CliError(
        `${method} ${path} failed: ${this.baseUrl} answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    throw new CliError(describeProblem(response.status, problem, response.statusText));
  }

  get<T>(path: string, query?: Query, shape?: Shape): Promise<T> {
    return this.request<T>('GET', path, { query, shape });
  }

  /** A list (CONTRACT §3 pagination): `{"data": […], "next_cursor": …}`. */
  getPage<T>(path: string, query?: Query): Promise<Page<T>> {
    return this.get<Page<T>>(path, query, { data: 'list' });
  }

  post<T>(path: string, body?: unknown, options: Pick<RequestOptions, 'headers' | 'shape'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? {} });
  }

  patch<T>(path: string, body: unknown, shape?: Shape): Promise<T> {
    return this.request<T>('PATCH', path, { body, shape });
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
}

/** Encodes an id for a path segment, so `events get ../x` cannot walk the API. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
