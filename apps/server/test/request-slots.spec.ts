import { afterAll, beforeAll, expect, it } from 'vitest';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { AttemptRecorder } from '../src/dispatch/attempt-recorder';
import { DeliveryClaims } from '../src/dispatch/delivery-claims';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

// `max_concurrency` bounds requests in flight. A dispatcher counts its own requests from memory (a
// success frees its slot when the response is in, while the lease still guards the row until the
// record commits; a failure holds its slot until recorded) and every other lease from the database.

describeEachDatabase('request slots', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let tenants = 0;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: db,
      env: {
        WEBHOOKS_RETRY_SCHEDULE: '1m,1m,1m',
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOKS_REQUEST_TIMEOUT: '2s',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  async function endpoint(cap: number, events = ['*']) {
    const tenant = `slots-${db}-${++tenants}`;
    const path = `/slots-${tenants}`;
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}${path}`, events, max_concurrency: cap, tenant_id: tenant },
    });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, tenant, path };
  }

  it("claims count the dispatcher's own requests from memory and every other lease from the database", async () => {
    const target = await endpoint(3, ['nothing.matches']);
    // Due an hour from now: the running dispatcher leaves them alone.
    const later = new Date(Date.now() + 3_600_000);
    await server.dataSource
      .getRepository(Delivery)
      .insert(
        Array.from({ length: 12 }, (_, i) =>
          newDelivery({ id: `evt_slot${tenants}x${i}`, tenantId: target.tenant }, target.id, 'event', later),
        ),
      );
    const claims = server.app.get(DeliveryClaims);
    const claim = async (leaseToken: string, own?: { leasePrefix: string; inFlight: Map<string, number> }) =>
      (await claims.claimDueDeliveries({ leaseToken, limit: 10, now: later, leaseMs: 60_000, own })).filter(
        (delivery) => delivery.endpointId === target.id,
      ).length;
    const mine = (inFlight: number) => ({
      leasePrefix: 'mine:',
      inFlight: new Map(inFlight > 0 ? [[target.id, inFlight]] : []),
    });

    expect(await claim('mine:1', mine(0))).toBe(3);
    // Those three requests are over (their records pending): their leases do not hold slots.
    expect(await claim('mine:2', mine(0))).toBe(3);
    // Requests still in flight do.
    expect(await claim('mine:3', mine(2))).toBe(1);
    expect(await claim('mine:4', mine(3))).toBe(0);
    // Anyone else counts all seven live leases: the endpoint is full.
    expect(await claim('theirs:1', { leasePrefix: 'theirs:', inFlight: new Map() })).toBe(0);
    expect(await claim('someone')).toBe(0);
  });

  it('a success frees its slot when the response is in; a failure holds it until it is recorded', async () => {
    const recorder = server.app.get(AttemptRecorder);
    const record = recorder.record.bind(recorder);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // No attempt result is written until the gate opens: every lease stays live meanwhile.
    recorder.record = (input, random) => gate.then(() => record(input, random));
    try {
      const healthy = await endpoint(2);
      const failing = await endpoint(2);
      receiver.on(healthy.path, () => ({ status: 200, delayMs: 20 }));
      receiver.on(failing.path, () => ({ status: 500, delayMs: 20 }));
      for (let i = 0; i < 6; i++) {
        for (const target of [healthy, failing]) {
          const published = await call(server, 'POST', '/events', {
            body: { type: 'invoice.paid', data: { i }, tenant_id: target.tenant },
          });
          expect(published.status).toBe(202);
        }
      }
      // All six successes went out, two at a time, with none of them recorded yet.
      await receiver.waitFor(() => receiver.received(healthy.path).length === 6, 15_000, 'the successes');
      expect(receiver.maxOpen.get(healthy.path)).toBeLessThanOrEqual(2);
      // The failures wait for their records: no more than the cap went out.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received(failing.path)).toHaveLength(2);
      open();
      await receiver.waitFor(() => receiver.received(failing.path).length === 6, 15_000, 'the failures');
      expect(receiver.maxOpen.get(failing.path)).toBeLessThanOrEqual(2);
    } finally {
      open();
      recorder.record = record;
    }
  });
});
