import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { WebhookEvent } from '../events/event.entity';
import type { Delivery } from './delivery.entity';

/** Deliveries a publish leased to this process's dispatcher, to attempt once the publish commits. */
export interface Handoff {
  /** How many of the publish's deliveries were leased (the rest are left for a claim). */
  readonly taken: number;
  /** After the commit: attempt them now. */
  start(): void;
  /** The publish did not commit: give their slots back. */
  abandon(): void;
}

/** The local dispatcher's side of a handoff (docs/architecture.md, "Handoff at publish"). */
export interface HandoffTaker {
  /**
   * Inside the publish transaction, before `deliveries` are written: leases (sets the lease columns
   * of) those the dispatcher may start as soon as the transaction commits, under its endpoints'
   * caps, and reserves their request slots. Null when it takes none.
   */
  take(
    manager: EntityManager,
    deliveries: readonly Delivery[],
    events: readonly WebhookEvent[],
  ): Promise<Handoff | null>;
}

/**
 * Where a publish finds the dispatcher of its own process, if it has one (`WEBHOOKS_ROLE=all`): new
 * deliveries it can start at once go to it leased, in the publish's transaction, instead of waiting
 * for a claim round. In-process, like DeliverySignal, so the events module needs no dispatch module.
 */
@Injectable()
export class DeliveryHandoff {
  private taker: HandoffTaker | undefined;

  /** Returns the unregister function. */
  register(taker: HandoffTaker): () => void {
    this.taker = taker;
    return () => {
      if (this.taker === taker) this.taker = undefined;
    };
  }

  take(
    manager: EntityManager,
    deliveries: readonly Delivery[],
    events: readonly WebhookEvent[],
  ): Promise<Handoff | null> {
    if (!this.taker || deliveries.length === 0) return Promise.resolve(null);
    return this.taker.take(manager, deliveries, events);
  }
}
