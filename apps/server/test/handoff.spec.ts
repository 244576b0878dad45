import { In } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { Transactions } from '../src/database/transactions';
import { DeliveriesRepository } from '../src/deliveries/deliveries.repository';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { ClaimedDelivery, DeliveryClaims } from '../src/dispatch/delivery-claims';
import { Dispatcher } from '../src/dispatch/dispatcher';
import { Endpoint } from '../src/endpoints/endpoint.entity';
import { WebhookEvent } from '../src/events/event.entity';
import { createHttpApp } from '../src/http-app';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

/**
 * The handoff at publish (docs/architecture.md): in `WEBHOOKS_ROLE=all`, a publish writes the new
 * deliveries its own dispatcher can start at once already leased to it, and the dispatcher attempts
 * them when the publish commits, with no claim round. Every test here stops the poll and the due
 * probe, so what is delivered was either handed off or claimed on the publish's own wake-up, and it
 * watches the claim rounds to tell which.
 */
describeEachDatabase('handoff at publish', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let dispatcher: Dispatcher;
  let claims: DeliveryClaims;
  let paths = 0;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: db,
      env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_REQUEST_TIMEOUT: '5s' },
    });
    dispatcher = server.app.get(Dispatcher);
    claims = server.app.get(DeliveryClaims);
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    dispatcher.setPollInterval(null);
    dispatcher.setDueProbeInterval(null);
    // Whatever an earlier test left running finishes before this one counts claim rounds.
    await waitUntil(() => dispatcher.inFlightCount === 0, 'the dispatcher idle');
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    dispatcher.setPollInterval(500);
    dispatcher.setDueProbeInterval(50);
  });

  async function waitUntil(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function endpoint(extra: Record<string, unknown> = {}) {
    const path = `/handoff-${++paths}`;
    const tenant = `h-${db}-${paths}`;
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}${path}`, events: ['*'], tenant_id: tenant, ...extra },
    });
    expect(response.status).toBe(201);
    return { id: response.body.id as string, path, tenant };
  }

  async function publish(tenant: string, n = 1) {
    const response = await call(server, 'POST', '/events', {
      body: { type: 'order.paid', data: { n }, tenant_id: tenant },
    });
    expect(response.status).toBe(202);
    return response.body.id as string;
  }

  async function deliveriesOf(endpointId: string): Promise<Delivery[]> {
    return server.dataSource
      .getRepository(Delivery)
      .find({ where: { endpointId }, order: { createdAt: 'ASC' } });
  }

  /** Every claim round from here on, with the deliveries it claimed. */
  function watchClaimRounds(): () => Promise<string[][]> {
    const rounds = vi.spyOn(claims, 'claimDueBatch');
    return async () =>
      Promise.all(
        rounds.mock.results.map(async (result) =>
          ((await result.value) as ClaimedDelivery[]).map((claimed) => claimed.delivery.id),
        ),
      );
  }

  it('a publish writes its delivery leased to the local dispatcher, which attempts it with no claim round', async () => {
    const target = await endpoint();
    let release!: () => void;
    const held = new Promise((resolve) => {
      release = () => resolve(undefined);
    });
    receiver.on(target.path, () => ({ status: 200, holdUntil: held }));
    const claimRounds = watchClaimRounds();

    const eventId = await publish(target.tenant);
    // Read as the 202 arrives, while the receiver still holds the request: the row was committed
    // leased by this process (its lease token carries the pid), in the publish's transaction.
    const [delivery] = await deliveriesOf(target.id);
    expect(delivery).toMatchObject({ eventId, status: 'pending', attempts: 0 });
    expect(delivery!.leaseOwner).toContain(`:${process.pid}:`);
    expect(delivery!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());

    await receiver.waitFor(
      () => receiver.received(target.path).length === 1,
      10_000,
      'the handed-off attempt',
    );
    release();
    await waitUntil(
      async () => (await deliveriesOf(target.id))[0]!.status === 'succeeded',
      'the attempt recorded',
    );
    expect(receiver.received(target.path)[0]!.headers['webhook-id']).toBe(eventId);
    // Nothing was left for a claim, and the attempt's end found nothing left behind to wake one for.
    expect(await claimRounds()).toEqual([]);
  });

  it("keeps max_concurrency across workers: another worker's live lease takes a slot the handoff leaves free", async () => {
    const target = await endpoint({ max_concurrency: 2 });
    const now = new Date();
    const elsewhere: Delivery = {
      ...newDelivery({ id: `evt_elsewhere_${db}`, tenantId: target.tenant }, target.id, 'event', now),
      leaseOwner: 'another-worker',
      leaseExpiresAt: new Date(now.getTime() + 60_000),
    };
    await server.dataSource.getRepository(Delivery).insert(elsewhere);
    receiver.on(target.path, () => ({ status: 200, delayMs: 300 }));
    try {
      // Three publishes at once: one batch, or several; either way one slot is free.
      const events = await Promise.all([1, 2, 3].map((n) => publish(target.tenant, n)));
      const rows = (await deliveriesOf(target.id)).filter((d) => d.id !== elsewhere.id);
      expect(rows).toHaveLength(3);
      expect(rows.filter((d) => d.leaseOwner !== null)).toHaveLength(1);

      // The other two wait for the slot (claimed as it frees, on the publish's wake-up and the
      // attempt's end), never beside it.
      await receiver.waitFor(() => receiver.received(target.path).length === 3, 15_000, 'all three');
      expect(new Set(receiver.received(target.path).map((r) => r.headers['webhook-id']))).toEqual(
        new Set(events),
      );
      expect(receiver.maxOpen.get(target.path)).toBe(1);
    } finally {
      await server.dataSource
        .getRepository(Delivery)
        .update(
          { id: elsewhere.id },
          { status: 'cancelled', leaseOwner: null, leaseExpiresAt: null, nextAttemptAt: null },
        );
    }
  });

  it('leaves to a claim the deliveries of an endpoint with a failure streak, a rate limit or a due backlog', async () => {
    const streak = await endpoint();
    await server.dataSource.getRepository(Endpoint).update({ id: streak.id }, { consecutiveFailures: 1 });
    const limited = await endpoint({ rate_limit_per_second: 50 });
    const backlogged = await endpoint();
    const due = newDelivery(
      { id: `evt_backlog_${db}`, tenantId: backlogged.tenant },
      backlogged.id,
      'event',
      new Date(Date.now() - 1_000),
    );
    await server.dataSource.getRepository(Delivery).insert(due);
    const claimRounds = watchClaimRounds();
    try {
      // The backlogged endpoint first: any claim round also takes what is due, backlog included.
      for (const target of [backlogged, streak, limited]) await publish(target.tenant);
      await receiver.waitFor(
        () =>
          [streak, limited].every((t) => receiver.received(t.path).length === 1) &&
          receiver.received(backlogged.path).length >= 1,
        10_000,
        'the published deliveries, each claimed on its publish wake-up',
      );
      const published = [
        ...(await deliveriesOf(streak.id)),
        ...(await deliveriesOf(limited.id)),
        ...(await deliveriesOf(backlogged.id)).filter((d) => d.id !== due.id),
      ];
      expect(published).toHaveLength(3);
      const claimed = (await claimRounds()).flat();
      for (const delivery of published) expect(claimed).toContain(delivery.id);
      // The backlog went out (by the claim) no later than what was published behind it.
      expect(claimed).toContain(due.id);
      expect(claimed.indexOf(due.id)).toBeLessThan(claimed.indexOf(published[2]!.id));
    } finally {
      await server.dataSource.getRepository(Endpoint).update({ id: streak.id }, { consecutiveFailures: 0 });
    }
  });

  it('a publish whose COMMIT answer is lost gives its leases back, so a claim sends the delivery at once', async () => {
    const target = await endpoint();
    const transactions = server.app.get(Transactions);
    const run = transactions.run.bind(transactions);
    vi.spyOn(transactions, 'run').mockImplementationOnce(async (work, isolation) => {
      await run(work, isolation);
      throw new Error('the connection dropped after the COMMIT');
    });
    const failed = await call(server, 'POST', '/events', {
      body: { type: 'order.paid', data: {}, tenant_id: target.tenant },
    });
    expect(failed.status).toBe(500);
    // Committed all the same, leased to this process: given back, it is claimed within moments,
    // not when the lease (10 s here) expires.
    await receiver.waitFor(
      () => receiver.received(target.path).length === 1,
      3_000,
      'the committed delivery',
    );
  });

  it('an attempt that ends during a claim round still gets the delivery waiting for its slot claimed', async () => {
    const target = await endpoint({ max_concurrency: 1 });
    // A round that finds nothing: from here the dispatcher knows of nothing left behind.
    dispatcher.wake();
    await new Promise((resolve) => setTimeout(resolve, 100));
    let answerFirst!: () => void;
    const firstAnswered = new Promise((resolve) => {
      answerFirst = () => resolve(undefined);
    });
    receiver.on(target.path, (_, n) =>
      n === 1 ? { status: 200, holdUntil: firstAnswered } : { status: 200 },
    );
    const firstId = await publish(target.tenant, 1);
    await receiver.waitFor(() => receiver.received(target.path).length === 1, 5_000, 'the first, handed off');

    // The claim round the second publish wakes finds the endpoint full; while it is still running,
    // the first attempt ends and is recorded.
    const claim = claims.claimDueBatch.bind(claims);
    vi.spyOn(claims, 'claimDueBatch').mockImplementationOnce(async (request) => {
      const claimed = await claim(request);
      answerFirst();
      await waitUntil(
        async () =>
          (await deliveriesOf(target.id)).find((d) => d.eventId === firstId)?.status === 'succeeded',
        'the first attempt recorded',
      );
      return claimed;
    });
    const secondId = await publish(target.tenant, 2);
    await receiver.waitFor(
      () => receiver.received(target.path).length === 2,
      5_000,
      'the second, claimed after the round',
    );
    expect(receiver.received(target.path)[1]!.headers['webhook-id']).toBe(secondId);
  });

  it("a claim round's choice holds its slots before its answer arrives: a publish meanwhile counts them", async () => {
    const target = await endpoint({ max_concurrency: 1 });
    receiver.on(target.path, () => ({ status: 200, delayMs: 300 }));
    let handoffDone!: () => void;
    const handoffDid = new Promise((resolve) => {
      handoffDone = () => resolve(undefined);
    });
    const handoff = claims.handoffCandidates.bind(claims);
    vi.spyOn(claims, 'handoffCandidates').mockImplementation(async (...args) => {
      try {
        return await handoff(...args);
      } finally {
        handoffDone();
      }
    });
    let claimCommitted!: () => void;
    const claimDid = new Promise((resolve) => {
      claimCommitted = () => resolve(undefined);
    });
    const claim = claims.claimDueBatch.bind(claims);
    // The round's transaction commits (the endpoint's lock is free again), but its answer is handled
    // only after a publish's handoff has counted.
    vi.spyOn(claims, 'claimDueBatch').mockImplementationOnce(async (request) => {
      const claimed = await claim(request);
      claimCommitted();
      await handoffDid;
      return claimed;
    });
    const event: WebhookEvent = {
      id: `evt_claimed_${db}`,
      tenantId: target.tenant,
      type: 'order.paid',
      payload: '{"data":{}}',
      createdAt: new Date(Date.now() - 1_000),
    };
    await server.dataSource.getRepository(WebhookEvent).insert(event);
    const due = newDelivery(event, target.id, 'event', event.createdAt);
    await server.dataSource.getRepository(Delivery).insert(due);
    dispatcher.wake();
    await claimDid;
    const eventId = await publish(target.tenant);

    await receiver.waitFor(() => receiver.received(target.path).length === 2, 10_000, 'both deliveries');
    expect(receiver.received(target.path).map((r) => r.headers['webhook-id'])).toEqual([
      due.eventId,
      eventId,
    ]);
    expect(receiver.maxOpen.get(target.path)).toBe(1);
  });

  it("while the worker's own limit holds claims back, freed room goes to the claim (oldest first), not to a new publish", async () => {
    // 64 requests in flight fill the worker (its limit); one more delivery, of another endpoint, waits.
    const busy = await endpoint({ max_concurrency: 100 });
    const waiting = await endpoint();
    const answers: Array<() => void> = [];
    receiver.on(busy.path, () => ({
      status: 200,
      holdUntil: new Promise((resolve) => answers.push(() => resolve(undefined))),
    }));
    try {
      await Promise.all(Array.from({ length: 64 }, (_, n) => publish(busy.tenant, n)));
      await receiver.waitFor(() => receiver.openNow(busy.path) === 64, 10_000, '64 requests in flight');
      const olderId = await publish(waiting.tenant);
      // Its claim round found no room; the next one is held until the newer publish has answered.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const claim = claims.claimDueBatch.bind(claims);
      let newerPublished!: () => void;
      const published = new Promise((resolve) => {
        newerPublished = () => resolve(undefined);
      });
      vi.spyOn(claims, 'claimDueBatch').mockImplementationOnce(async (request) => {
        await published;
        return claim(request);
      });
      answers.shift()!();
      await receiver.waitFor(() => receiver.openNow(busy.path) === 63, 5_000, 'one slot freed');
      const newerId = await publish(busy.tenant, 64);
      newerPublished();

      // The freed slot went to the claim round, which took the older delivery.
      await receiver.waitFor(() => receiver.received(waiting.path).length === 1, 5_000, 'the older delivery');
      expect(receiver.received(waiting.path)[0]!.headers['webhook-id']).toBe(olderId);
      expect(receiver.received(busy.path).map((r) => r.headers['webhook-id'])).not.toContain(newerId);
    } finally {
      for (const answer of answers.splice(0)) answer();
      await receiver.waitFor(() => receiver.openNow(busy.path) === 0, 10_000, 'every held request answered');
    }
  });

  it('a publish that fails gives back the slots it had taken', async () => {
    const target = await endpoint({ max_concurrency: 1 });
    const repository = server.app.get(DeliveriesRepository);
    const insertMany = repository.insertMany.bind(repository);
    vi.spyOn(repository, 'insertMany').mockImplementationOnce(async () => {
      throw new Error('the disk is full');
    });
    const failed = await call(server, 'POST', '/events', {
      body: { type: 'order.paid', data: {}, tenant_id: target.tenant },
    });
    expect(failed.status).toBe(500);
    expect(await deliveriesOf(target.id)).toEqual([]);
    vi.mocked(repository.insertMany).mockImplementation(insertMany);

    // The endpoint's one slot is free again: the next publish is handed off and delivered.
    const eventId = await publish(target.tenant);
    await receiver.waitFor(() => receiver.received(target.path).length === 1, 10_000, 'the next publish');
    expect(receiver.received(target.path)[0]!.headers['webhook-id']).toBe(eventId);
    await waitUntil(
      async () => (await deliveriesOf(target.id))[0]?.status === 'succeeded',
      'the attempt recorded',
    );
    const rows = await server.dataSource.getRepository(Delivery).findBy({ endpointId: In([target.id]) });
    expect(rows).toHaveLength(1);
  });
});

const mysqlProblem = inject('mysqlProblem');

/**
 * Two `all` processes (two apps here) on one MySQL database, publishing to one endpoint at the same
 * time: each handoff counts the other's leases under the endpoint's lock, so together they never
 * start more than its cap.
 */
describe.skipIf(mysqlProblem !== null)('handoff at publish in two all-in-one processes', () => {
  it("a publish through one waits at the endpoint's lock for the other's, then counts its leases", async () => {
    const receiver = await TestReceiver.start();
    const first = await startServer({ database: 'mysql', env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
    const second = await createHttpApp(first.config, { logger: ['error'] });
    try {
      await second.listen(0, '127.0.0.1');
      const secondServer = {
        url: `http://127.0.0.1:${(second.getHttpServer().address() as { port: number }).port}`,
        apiKey: first.apiKey,
      };
      const cap = 1;
      receiver.on('/both', () => ({ status: 200, delayMs: 300 }));
      const created = await call(first, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}/both`, events: ['*'], max_concurrency: cap },
      });
      expect(created.status).toBe(201);

      // The first process's publish pauses inside its transaction, endpoint locked and its leases
      // counted, until the second process's publish has begun its own handoff.
      const [firstClaims, secondClaims] = [first.app, second].map((app) => app.get(DeliveryClaims));
      let firstHolding!: () => void;
      const firstHolds = new Promise<void>((resolve) => {
        firstHolding = resolve;
      });
      let secondBegan!: () => void;
      const secondBegins = new Promise<void>((resolve) => {
        secondBegan = resolve;
      });
      const firstTake = firstClaims!.handoffCandidates.bind(firstClaims);
      vi.spyOn(firstClaims!, 'handoffCandidates').mockImplementationOnce(async (...args) => {
        const candidates = await firstTake(...args);
        firstHolding();
        await secondBegins;
        return candidates;
      });
      const secondTake = secondClaims!.handoffCandidates.bind(secondClaims);
      const secondHandoffs = vi
        .spyOn(secondClaims!, 'handoffCandidates')
        .mockImplementation(async (...args) => {
          secondBegan();
          return secondTake(...args);
        });
      const publishTo = async (server: Pick<TestServer, 'url' | 'apiKey'>, n: number) => {
        const response = await call(server, 'POST', '/events', { body: { type: 'order.paid', data: { n } } });
        expect(response.status).toBe(202);
        return response.body.id as string;
      };

      const firstEvent = publishTo(first, 0);
      await firstHolds;
      const events = [await publishTo(secondServer, 1), await firstEvent];
      expect(secondHandoffs).toHaveBeenCalled();

      await receiver.waitFor(() => receiver.received('/both').length >= 2, 20_000, 'both events');
      // Without the lock (or counting from a snapshot taken before it) the second process would
      // have started its event beside the first one's.
      expect(receiver.maxOpen.get('/both')).toBeLessThanOrEqual(cap);
      const ids = receiver.received('/both').map((r) => r.headers['webhook-id']);
      expect(ids.sort()).toEqual(events.sort());
    } finally {
      vi.restoreAllMocks();
      await second.close();
      await first.close();
      await receiver.close();
    }
  });
});
