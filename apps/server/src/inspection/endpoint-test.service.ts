import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { runInTransaction } from '../database/transactions';
import { Delivery } from '../deliveries/delivery.entity';
import { presentAttempt, presentDelivery } from '../deliveries/delivery.presenter';
import { newDelivery } from '../deliveries/new-delivery';
import { DeliveryAttempter } from '../dispatch/delivery-attempter';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { WebhookEvent } from '../events/event.entity';
import { serializePayload } from '../events/event-payload';
import { attemptOrConflict } from './delivery-retry.service';
import { DEFAULT_TEST_EVENT_TYPE, TestDeliveryDto, TestEndpointDto } from './inspection.dto';

/**
 * `POST /webhook-endpoints/{id}/test`: a test event sent to this endpoint alone, whatever its
 * subscription, in ONE attempt made while the caller waits. A disabled endpoint may be tested (to
 * check it works again before re-enabling it); the attempt never changes its status or failure streak.
 */
@Injectable()
export class EndpointTestService {
  private readonly logger = new Logger('EndpointTest');

  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: EndpointsRepository,
    private readonly attempter: DeliveryAttempter,
    private readonly clock: Clock,
  ) {}

  async test(caller: Caller, endpointId: string, input: TestEndpointDto): Promise<TestDeliveryDto> {
    const endpoint = await this.endpoints.visible(caller, endpointId);
    const now = this.clock.now();
    const event: WebhookEvent = {
      id: newId('evt'),
      tenantId: endpoint.tenantId,
      type: input.type ?? DEFAULT_TEST_EVENT_TYPE,
      payload: '',
      createdAt: now,
    };
    event.payload = serializePayload({
      ...event,
      data: input.data ?? { message: `A test delivery to ${endpoint.id} from Acme Webhooks.` },
    });
    // Trigger `test`: the dispatcher never claims it, so this one attempt is the only one.
    const delivery = newDelivery(event, endpoint.id, 'test', now);
    await runInTransaction(this.dataSource, async (manager) => {
      await manager.insert(WebhookEvent, event);
      await manager.insert(Delivery, delivery);
    });
    try {
      const recorded = await attemptOrConflict(() =>
        this.attempter.attemptOnce(delivery.id, { trigger: 'manual', retryOnFailure: false }),
      );
      return { delivery: presentDelivery(recorded.delivery), attempt: presentAttempt(recorded.attempt) };
    } catch (error) {
      await this.abandon(delivery);
      throw error;
    }
  }

  /** A test delivery whose attempt could not be made is dead, not left pending forever. */
  private async abandon(delivery: Delivery): Promise<void> {
    const now = this.clock.now();
    await runInTransaction(this.dataSource, (manager) =>
      manager.update(
        Delivery,
        { id: delivery.id, status: In(['pending', 'retrying']) },
        { status: 'dead', nextAttemptAt: null, updatedAt: now },
      ),
    ).catch((error: Error) =>
      this.logger.warn(`could not settle test delivery ${delivery.id}: ${error.message}`),
    );
  }
}
