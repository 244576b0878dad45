import { ApiKey } from '../auth/api-key.entity';
import { Attempt } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { Endpoint } from '../endpoints/endpoint.entity';
import { EndpointRateStart } from '../endpoints/endpoint-rate-start.entity';
import { WebhookEvent } from '../events/event.entity';
import { IdempotencyKey } from '../events/idempotency-key.entity';
import { Replay } from '../replay/replay.entity';
import { Initial1795742370281 } from './migrations/1795742370281-Initial';
import { Replays1795742774411 } from './migrations/1795742774411-Replays';
import { DeliveryLeaseIndex1795800000000 } from './migrations/1795800000000-DeliveryLeaseIndex';
import { EndpointRateStarts1796000000000 } from './migrations/1796000000000-EndpointRateStarts';
import { DeliveryEndpointDueIndex1796100000000 } from './migrations/1796100000000-DeliveryEndpointDueIndex';

/** Every entity of the schema; registered once, in the data source. */
export const ENTITIES = [
  Endpoint,
  EndpointRateStart,
  WebhookEvent,
  IdempotencyKey,
  Delivery,
  Attempt,
  ApiKey,
  Replay,
];

/** Migrations in order. Add new ones at the end: `<epoch>-<Name>.ts`. */
export const MIGRATIONS = [
  Initial1795742370281,
  Replays1795742774411,
  DeliveryLeaseIndex1795800000000,
  EndpointRateStarts1796000000000,
  DeliveryEndpointDueIndex1796100000000,
];
