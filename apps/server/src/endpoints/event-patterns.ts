/** `type` of an event: 1–200 letters, digits, `_`, `-` and dots. */
export const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * Why `pattern` is not a valid subscription, or null when it is: an exact type (`invoice.paid`),
 * a prefix wildcard (`invoice.*`, matching `invoice.paid` and `invoice.line.added`), or `*`.
 */
export function eventPatternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern === '*') return null;
  const exact = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern;
  if (exact.includes('*')) return 'may only use * as a whole final segment: "invoice.*" or "*"';
  if (!EVENT_TYPE.test(exact) || exact.startsWith('.') || exact.endsWith('.') || exact.includes('..')) {
    return 'must be an event type (letters, digits, _, - and dots), "prefix.*" or "*"';
  }
  return null;
}

/** Whether an event of `type` goes to an endpoint subscribed to `patterns`. */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      pattern === type ||
      (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)) && type.length > pattern.length - 1),
  );
}
