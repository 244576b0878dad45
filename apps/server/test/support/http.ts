import type { TestServer } from './server';

// biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small fetch wrapper: JSON in and out, the admin key unless `key` says otherwise (null = none). */
// biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
export async function call<T = any>(
  server: Pick<TestServer, 'url' | 'apiKey'>,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? server.apiKey : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if (text && /json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Field names of a problem+json body's `errors`. */
export function errorFields(body: { errors?: Array<{ field: string }> }): string[] {
  return (body.errors ?? []).map((error) => error.field);
}
