import type { Column } from '../output.js';
import { formatTime } from '../output.js';
import type { Attempt, Delivery, Endpoint, WebhookEvent } from '../types.js';

export const ENDPOINT_COLUMNS: Column<Endpoint>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'STATUS', value: (e) => (e.disabled_reason ? `${e.status} (${e.disabled_reason})` : e.status) },
  { header: 'TENANT', value: (e) => e.tenant_id },
  { header: 'EVENTS', value: (e) => e.events.join(',') },
  { header: 'URL', value: (e) => e.url },
];

export const EVENT_COLUMNS: Column<WebhookEvent>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'TENANT', value: (e) => e.tenant_id },
  { header: 'CREATED', value: (e) => formatTime(e.created_at) },
];

/** The last result of a delivery: `200`, `500`, `timeout`, … */
export function lastResult(d: Pick<Delivery, 'last_status_code' | 'last_error'>): string {
  if (d.last_error && d.last_error !== 'http_status') return d.last_error;
  return d.last_status_code === null || d.last_status_code === undefined ? '-' : String(d.last_status_code);
}

export const DELIVERY_COLUMNS: Column<Delivery>[] = [
  { header: 'ID', value: (d) => d.id },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'ATTEMPTS', value: (d) => d.attempts },
  { header: 'LAST', value: lastResult },
  { header: 'NEXT ATTEMPT', value: (d) => formatTime(d.next_attempt_at) },
  { header: 'TRIGGER', value: (d) => d.trigger },
  { header: 'EVENT', value: (d) => d.event_id },
  { header: 'ENDPOINT', value: (d) => d.endpoint_id },
];

/**
 * `timeout: no complete response within 15000 ms`. The server's message may start with the transport's
 * own code (`ERR_ATTEMPT_TIMEOUT: …`), which says again what the API's code says.
 */
export function attemptResult(a: Attempt): string {
  if (a.error && a.error.code !== 'http_status')
    return `${a.error.code}: ${a.error.message.replace(/^[A-Z][A-Z0-9_]+: /, '')}`;
  return a.response ? String(a.response.status) : (a.error?.code ?? '-');
}

export const ATTEMPT_COLUMNS: Column<Attempt>[] = [
  { header: '#', value: (a) => a.attempt_number },
  { header: 'ID', value: (a) => a.id },
  { header: 'TRIGGER', value: (a) => a.trigger },
  { header: 'STARTED', value: (a) => formatTime(a.started_at) },
  { header: 'DURATION', value: (a) => (a.duration_ms === null ? '-' : `${a.duration_ms}ms`) },
  { header: 'RESULT', value: attemptResult },
];

export const ENDPOINT_FIELDS = [
  'id',
  'url',
  'events',
  'status',
  'disabled_reason',
  'description',
  'tenant_id',
  'headers',
  'metadata',
  'max_concurrency',
  'rate_limit_per_second',
  'created_at',
  'updated_at',
];
