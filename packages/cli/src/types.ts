/** The resources of the HTTP API (CONTRACT §3), as far as the CLI reads them. */

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  tenant_id: string;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  headers: Record<string, string> | null;
  metadata: Record<string, unknown> | null;
  max_concurrency: number | null;
  rate_limit_per_second: number | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface WebhookEvent {
  id: string;
  type: string;
  tenant_id: string;
  created_at: string;
  data: unknown;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'dead' | 'cancelled';

export interface Delivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  tenant_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  trigger: 'event' | 'replay' | 'test';
  created_at: string;
  updated_at: string;
}

export interface Attempt {
  id: string;
  delivery_id: string;
  attempt_number: number;
  trigger: 'scheduled' | 'manual';
  started_at: string;
  duration_ms: number | null;
  request: { url: string; headers: Record<string, string> };
  response: { status: number; headers: Record<string, string>; body: string; body_truncated: boolean } | null;
  error: { code: string; message: string } | null;
}

export interface Replay {
  id: string;
  status: 'running' | 'completed' | 'failed';
  matched: number;
  enqueued: number;
  [field: string]: unknown;
}
