import { describe, expect, it } from 'vitest';
import type { Delivery } from '../types.js';
import { diffDeliveries, formatChange } from './tail.js';

function d(id: string, status: Delivery['status'], attempts = 0): Delivery {
  return {
    id,
    event_id: 'evt_1',
    endpoint_id: 'wh_1',
    tenant_id: 'default',
    status,
    attempts,
    next_attempt_at: status === 'retrying' ? '2025-01-13T12:36:00.000Z' : null,
    last_attempt_at: null,
    last_status_code: attempts > 0 ? 500 : null,
    last_error: attempts > 0 ? 'http_status' : null,
    trigger: 'event',
    created_at: '2025-01-13T12:35:00.000Z',
    updated_at: '2025-01-13T12:35:00.000Z',
  };
}

describe('diffDeliveries', () => {
  it('reports new deliveries oldest first, then only real changes', () => {
    const seen = new Map();
    // Newest first, as the API lists them.
    expect(
      diffDeliveries(seen, [d('dlv_2', 'pending'), d('dlv_1', 'pending')]).map((c) => c.delivery.id),
    ).toEqual(['dlv_1', 'dlv_2']);
    expect(diffDeliveries(seen, [d('dlv_2', 'pending'), d('dlv_1', 'pending')])).toEqual([]);
    const changes = diffDeliveries(seen, [
      d('dlv_3', 'pending'),
      d('dlv_2', 'retrying', 1),
      d('dlv_1', 'pending'),
    ]);
    expect(changes.map((c) => [c.change, c.delivery.id, c.previous_status])).toEqual([
      ['updated', 'dlv_2', 'pending'],
      ['new', 'dlv_3', null],
    ]);
    // Another failed attempt without a status change is still news.
    expect(diffDeliveries(seen, [d('dlv_2', 'retrying', 2)]).map((c) => c.change)).toEqual(['updated']);
  });

  it('formats a change as one line', () => {
    const line = formatChange({
      change: 'updated',
      previous_status: 'pending',
      delivery: d('dlv_9', 'retrying', 1),
    });
    expect(line).toBe(
      '2025-01-13 12:35:00Z  dlv_9  retrying   (was pending)  attempts=1 last=500 next=2025-01-13 12:36:00Z event=evt_1 endpoint=wh_1 trigger=event',
    );
  });
});
