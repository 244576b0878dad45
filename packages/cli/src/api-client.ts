import { CliError, EXIT } from './errors.js';
import type { Problem } from './types.js';

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
  /** Abort every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Per request, connect + full response. */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
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
      if (response.status === 204 || text === '') return undefined as T;
      if (parsed === undefined) {
        throw new CliError(
          `unexpected answer from ${this.baseUrl}: ${method} ${path} returned ${response.status} ${contentType || 'without a content type'}, not JSON; is ACME_WEBHOOKS_URL the Acme Webhooks API?`,
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

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {}, headers });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
}

/** Encodes an id for a path segment, so `events get ../x` cannot walk the API. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
