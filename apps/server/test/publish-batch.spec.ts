import { afterAll, beforeAll, expect, it } from 'vitest';
import { Delivery } from '../src/deliveries/delivery.entity';
import { WebhookEvent } from '../src/events/event.entity';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

// Publishes without an Idempotency-Key that arrive together are committed in one transaction
// (group commit). Each must still get exactly its own fan-out, and a 202 must mean committed.

describeEachDatabase('grouped publishes', (db) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('concurrent publishes of several tenants each get exactly their matching deliveries, committed by the 202', async () => {
    const tenants = [`pb-${db}-a`, `pb-${db}-b`];
    const endpoints: Record<string, { id: string; events: string[] }[]> = {};
    for (const tenant of tenants) {
      endpoints[tenant] = [];
      for (const events of [['invoice.*'], ['order.paid'], ['*']]) {
        const created = await call(server, 'POST', '/webhook-endpoints', {
          body: { url: 'http://127.0.0.1:9/hook', events, tenant_id: tenant },
        });
        expect(created.status).toBe(201);
        endpoints[tenant]!.push({ id: created.body.id, events });
      }
    }
    const types = ['invoice.paid', 'order.paid', 'user.created'];
    const published = await Promise.all(
      Array.from({ length: 48 }, async (_, i) => {
        const tenant = tenants[i % 2]!;
        const type = types[i % 3]!;
        const response = await call(server, 'POST', '/events', {
          body: { type, data: { i }, tenant_id: tenant },
        });
        expect(response.status).toBe(202);
        // Committed before the answer: readable at once, with its deliveries.
        const stored = await server.dataSource
          .getRepository(WebhookEvent)
          .findOneBy({ id: response.body.id });
        expect(stored?.tenantId).toBe(tenant);
        expect(JSON.parse(stored!.payload).data).toEqual({ i });
        return { id: response.body.id as string, tenant, type };
      }),
    );
    expect(new Set(published.map((p) => p.id)).size).toBe(48);
    for (const event of published) {
      const deliveries = await server.dataSource.getRepository(Delivery).findBy({ eventId: event.id });
      const expected = endpoints[event.tenant]!.filter(
        (e) =>
          e.events.includes('*') ||
          e.events.includes(event.type) ||
          (event.type.startsWith('invoice.') && e.events.includes('invoice.*')),
      ).map((e) => e.id);
      expect(deliveries.map((d) => d.endpointId).sort()).toEqual(expected.sort());
      expect(deliveries.every((d) => d.tenantId === event.tenant && d.status === 'pending')).toBe(true);
    }
  });

  it('an endpoint created (201) before a publish receives it, even among grouped publishes', async () => {
    const tenant = `pb-${db}-late`;
    const first = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(server, 'POST', '/events', { body: { type: 'x.y', data: {}, tenant_id: tenant } }),
      ),
    );
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'http://127.0.0.1:9/hook', events: ['*'], tenant_id: tenant },
    });
    expect(created.status).toBe(201);
    const after = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(server, 'POST', '/events', { body: { type: 'x.y', data: {}, tenant_id: tenant } }),
      ),
    );
    const owed = await server.dataSource.getRepository(Delivery).findBy({ endpointId: created.body.id });
    expect(owed.map((d) => d.eventId).sort()).toEqual(after.map((r) => r.body.id).sort());
    expect(first.every((r) => r.status === 202)).toBe(true);
  });
});
