import { ApiKey } from '../auth/api-key.entity';
import { Attempt } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { Endpoint } from '../endpoints/endpoint.entity';
import { WebhookEvent } from '../events/event.entity';
import { IdempotencyKey } from '../events/idempotency-key.entity';
import { Initial1795742370281 } from './migrations/1795742370281-Initial';

/** Every entity of the schema; registered once, in the data source. */
export const ENTITIES = [Endpoint, WebhookEvent, IdempotencyKey, Delivery, Attempt, ApiKey];

/** Migrations in order. Add new ones at the end: `<epoch>-<Name>.ts`. */
export const MIGRATIONS = [Initial1795742370281];
