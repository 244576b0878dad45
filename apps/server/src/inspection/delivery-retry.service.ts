import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { ApiProblem } from '../common/problem';
import { runInTransaction } from '../database/transactions';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { DeliveryDto } from '../deliveries/delivery.dto';
import { Delivery } from '../deliveries/delivery.entity';
import { presentDelivery } from '../deliveries/delivery.presenter';
import { DeliverySignal } from '../deliveries/delivery-signal';
import { AttemptRefusedError, DeliveryAttempter } from '../dispatch/delivery-attempter';

/** `POST /deliveries/{id}/retry`: one attempt now, of a dead delivery or of a pending or retrying one. */
@Injectable()
export class DeliveryRetryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deliveries: DeliveriesRepository,
    private readonly attempter: DeliveryAttempter,
    private readonly signal: DeliverySignal,
    private readonly clock: Clock,
  ) {}

  async retry(caller: Caller, id: string): Promise<DeliveryDto> {
    const delivery = await this.deliveries.visible(caller, id);
    switch (delivery.status) {
      case 'succeeded':
      case 'cancelled':
        throw ApiProblem.conflict(
          `Delivery ${id} is ${delivery.status}; only dead, pending or retrying ones can be retried.`,
        );
      case 'dead': {
        // One attempt now; a failure leaves it dead (no new schedule).
        const recorded = await attemptOrConflict(() =>
          this.attempter.attemptOnce(delivery.id, { trigger: 'manual', retryOnFailure: false }),
        );
        return presentDelivery(recorded.delivery);
      }
      default:
        // Pending or retrying: one attempt now; a failure keeps it on its schedule (or makes it dead).
        return presentDelivery(await attemptOrConflict(() => this.attemptNowOrBringForward(delivery.id)));
    }
  }

  /** The delivery as stored after a manual attempt, or after bringing it forward when one is under way. */
  private async attemptNowOrBringForward(id: string): Promise<Delivery> {
    try {
      return (await this.attempter.attemptOnce(id, { trigger: 'manual', retryOnFailure: true })).delivery;
    } catch (error) {
      if (!(error instanceof AttemptRefusedError && error.reason === 'busy')) throw error;
      // Leased: an attempt is under way. Due now, should its worker die before recording it.
      const now = this.clock.now();
      await runInTransaction(this.dataSource, (manager) =>
        manager.update(
          Delivery,
          { id, status: In(['pending', 'retrying']) },
          { nextAttemptAt: now, updatedAt: now },
        ),
      );
      this.signal.notify();
      return this.dataSource.manager.findOneByOrFail(Delivery, { id });
    }
  }
}

/** An attempt the attempter refused becomes the route's 404 or 409. */
export async function attemptOrConflict<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof AttemptRefusedError)) throw error;
    if (error.reason === 'not_found') throw new ApiProblem(404, `${capitalize(error.message)}.`);
    throw ApiProblem.conflict(`${capitalize(error.message)}.`);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
