type HeaderValue = string | readonly string[] | undefined;

/**
 * Request headers in any of the shapes frameworks hand out: Node's `req.headers` (a plain object,
 * possibly with string[] values), a Fetch `Headers`, or a Map. Names match case-insensitively.
 */
export type HeadersInput =
  | Readonly<Record<string, HeaderValue>>
  | ReadonlyMap<string, HeaderValue>
  | { get(name: string): string | null | undefined };

/** The header's value, repeated fields joined with ", " as HTTP combines them. */
export function readHeader(headers: HeadersInput, name: string): string | undefined {
  const wanted = name.toLowerCase();
  if (headers instanceof Map) {
    for (const [key, value] of headers) if (key.toLowerCase() === wanted) return join(value);
    return undefined;
  }
  if (typeof headers.get === 'function') {
    return join((headers as { get(name: string): string | null | undefined }).get(name));
  }
  const record = headers as Readonly<Record<string, HeaderValue>>;
  for (const key of Object.keys(record)) if (key.toLowerCase() === wanted) return join(record[key]);
  return undefined;
}

function join(value: HeaderValue | null): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}
