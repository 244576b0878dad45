import { expect } from 'vitest';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import type { TestServer } from './support/server';

/** Helpers shared by the replay, inspection and retention suites. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The fields of a delivery these suites look at. */
export interface DeliveryView {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: string;
  trigger: string;
  attempts: number;
  next_attempt_at: string | null;
}

export interface TestEndpoint {
  id: string;
  secret: string;
  path: string;
  tenant: string;
}

export class Fixture {
  private counter = 0;

  constructor(
    readonly server: TestServer,
    readonly receiver: TestReceiver,
    readonly prefix: string,
  ) {}

  /** A fresh endpoint on its own receiver path and (unless named) its own tenant. */
  async endpoint(body: Record<string, unknown> = {}, tenant?: string): Promise<TestEndpoint> {
    const n = ++this.counter;
    const path = `/${this.prefix}-${n}`;
    const tenantId = tenant ?? `${this.prefix}-t${n}`;
    const response = await call(this.server, 'POST', '/webhook-endpoints', {
      body: { url: `${this.receiver.url}${path}`, events: ['*'], tenant_id: tenantId, ...body },
    });
    expect(response.status).toBe(201);
    return { id: response.body.id, secret: response.body.secret, path, tenant: tenantId };
  }

  async publish(tenant: string, type = 'invoice.paid', data: Record<string, unknown> = { n: 1 }) {
    const response = await call(this.server, 'POST', '/events', { body: { type, data, tenant_id: tenant } });
    expect(response.status).toBe(202);
    return response.body as { id: string; created_at: string };
  }

  async setStatus(endpointId: string, status: 'enabled' | 'disabled'): Promise<void> {
    const response = await call(this.server, 'PATCH', `/webhook-endpoints/${endpointId}`, {
      body: { status },
    });
    expect(response.status).toBe(200);
  }

  async deliveriesOf(eventId: string): Promise<Array<DeliveryView>> {
    const response = await call(this.server, 'GET', `/events/${eventId}/deliveries`);
    expect(response.status).toBe(200);
    return response.body.data;
  }

  async delivery(id: string): Promise<DeliveryView> {
    const response = await call(this.server, 'GET', `/deliveries/${id}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Waits until every delivery of the event is in `status` (and there is at least one). */
  waitForDeliveries(eventId: string, status: string, count = 1): Promise<Array<DeliveryView>> {
    return eventually(async () => {
      const deliveries = await this.deliveriesOf(eventId);
      return deliveries.length === count && deliveries.every((d) => d.status === status)
        ? deliveries
        : undefined;
    }, `${count} ${status} deliveries of ${eventId}`);
  }

  waitForDelivery(id: string, status: string): Promise<DeliveryView> {
    return eventually(async () => {
      const delivery = await this.delivery(id);
      return delivery.status === status ? delivery : undefined;
    }, `delivery ${id} to be ${status}`);
  }

  async tenantKey(tenant: string): Promise<string> {
    const response = await call(this.server, 'POST', '/api-keys', {
      body: { tenant_id: tenant, name: 'test' },
    });
    expect(response.status).toBe(201);
    return response.body.key;
  }
}
