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

/** `POST /deliveries/{id}/retry`: one more attempt of a dead delivery, or an earlier one of an open one. */
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
      case 'dead':
        // One attempt now; a failure leaves it dead (no new schedule).
        await attemptOrConflict(() =>
          this.attempter.attemptOnce(delivery.id, { trigger: 'manual', retryOnFailure: false }),
        );
        break;
      default: {
        // Pending or retrying: due now. The dispatcher (any worker) takes it on its next claim.
        const now = this.clock.now();
        await runInTransaction(this.dataSource, (manager) =>
          manager.update(
            Delivery,
            { id: delivery.id, status: In(['pending', 'retrying']) },
            { nextAttemptAt: now, updatedAt: now },
          ),
        );
        this.signal.notify();
      }
    }
    return presentDelivery((await this.dataSource.manager.findOneBy(Delivery, { id: delivery.id }))!);
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
