import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  EntityManager,
  EntityMetadata,
  EntityTarget,
  FindOptionsWhere,
  In,
  LessThan,
  MoreThan,
  Repository,
} from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Caller } from '../auth/caller';
import { isId } from '../common/ids';
import { CreatedWindow, createdWithin } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { deferWrite } from '../database/statement-pipeline';
import { Attempt } from './attempt.entity';
import { Delivery, DeliveryStatus } from './delivery.entity';

export interface DeliveryFilter extends CreatedWindow {
  tenantId?: string;
  status?: DeliveryStatus;
  endpointId?: string;
  eventId?: string;
}

/** An entity's plain columns and its `INSERT INTO t (…) VALUES` head, per data source's metadata. */
const insertShapes = new WeakMap<
  EntityMetadata,
  { columns: ColumnMetadata[]; head: string; row: string } | null
>();

function insertShape(manager: EntityManager, metadata: EntityMetadata) {
  let shape = insertShapes.get(metadata);
  if (shape === undefined) {
    const columns = metadata.columns;
    const plain = columns.every(
      (c) =>
        c.isInsert &&
        !c.isGenerated &&
        !c.isVirtual &&
        c.asExpression === undefined &&
        c.transformer === undefined &&
        !c.isCreateDate &&
        !c.isUpdateDate &&
        !c.isDeleteDate &&
        !c.isVersion &&
        c.embeddedMetadata === undefined &&
        c.relationMetadata === undefined,
    );
    const quote = (name: string) => manager.connection.driver.escape(name);
    shape = plain
      ? {
          columns,
          head: `INSERT INTO ${quote(metadata.tableName)} (${columns.map((c) => quote(c.databaseName)).join(', ')}) VALUES `,
          row: `(${columns.map(() => '?').join(', ')})`,
        }
      : null;
    insertShapes.set(metadata, shape);
  }
  return shape;
}

/**
 * `manager.insert(target, rows)` as one parameterised multi-row INSERT on the same connection (a
 * deferred write: in a pipelined MySQL transaction it goes out with the next statement), without
 * TypeORM's query building and without its re-read of default-valued columns (every column is given
 * here, so there is nothing to re-read). Each value goes through the driver's own conversion
 * (`preparePersistentValue`: datetime(3) as a Date on MySQL, UTC text on SQLite; booleans 1/0;
 * simple-json as JSON), exactly as TypeORM writes it. Rows with a missing value, or entities with
 * generated or special columns, take `manager.insert`.
 */
export async function insertRows<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(target);
  const shape = insertShape(manager, metadata);
  const complete =
    shape !== null &&
    rows.every((row) =>
      shape.columns.every((c) => (row as Record<string, unknown>)[c.propertyName] !== undefined),
    );
  if (!shape || !complete) {
    await manager.insert(target, rows as never);
    return;
  }
  const driver = manager.connection.driver;
  const params: unknown[] = [];
  for (const row of rows) {
    for (const column of shape.columns) {
      params.push(
        driver.preparePersistentValue((row as Record<string, unknown>)[column.propertyName], column),
      );
    }
  }
  await deferWrite(manager, shape.head + rows.map(() => shape.row).join(', '), params);
}

const selectHeads = new WeakMap<EntityMetadata, string>();

/**
 * `manager.findBy(target, { id: In(ids) })` for a single-`id`-key entity as one parameterised SELECT on
 * the same connection: every column, each hydrated by the driver (`prepareHydratedValue`) exactly as
 * an entity read does, into instances of the entity class. Order unspecified, as with `findBy`.
 */
export async function findRowsByIds<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  ids: readonly string[],
): Promise<T[]> {
  if (ids.length === 0) return [];
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  let head = selectHeads.get(metadata);
  if (head === undefined) {
    const quote = (name: string) => driver.escape(name);
    head = `SELECT ${metadata.columns.map((c) => quote(c.databaseName)).join(', ')} FROM ${quote(metadata.tableName)} WHERE ${quote(metadata.primaryColumns[0]!.databaseName)} IN `;
    selectHeads.set(metadata, head);
  }
  const raws: Record<string, unknown>[] = await manager.query(`${head}(${ids.map(() => '?').join(', ')})`, [
    ...ids,
  ]);
  return raws.map((raw) => {
    const entity = metadata.create(undefined, { fromDeserializer: true }) as Record<string, unknown>;
    for (const column of metadata.columns) {
      entity[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    }
    return entity as T;
  });
}

/** Deliveries still owed an attempt. */
const OPEN_STATUSES: DeliveryStatus[] = ['pending', 'retrying'];

@Injectable()
export class DeliveriesRepository {
  constructor(
    @InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>,
    @InjectRepository(Attempt) private readonly attempts: Repository<Attempt>,
  ) {}

  /** Newest first, `limit + 1` rows below `beforeId`. */
  list(filter: DeliveryFilter, page: { beforeId?: string; limit: number }): Promise<Delivery[]> {
    const where: FindOptionsWhere<Delivery> = {};
    if (filter.tenantId !== undefined) where.tenantId = filter.tenantId;
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.endpointId !== undefined) where.endpointId = filter.endpointId;
    if (filter.eventId !== undefined) where.eventId = filter.eventId;
    const createdAt = createdWithin(filter);
    if (createdAt !== undefined) where.createdAt = createdAt;
    if (page.beforeId !== undefined) where.id = LessThan(page.beforeId);
    return this.deliveries.find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
  }

  /** A delivery the caller can see; any other id is the route's 404. */
  async visible(caller: Caller, id: string): Promise<Delivery> {
    const delivery = isId(id, 'dlv') ? await this.deliveries.findOneBy({ id }) : null;
    if (!delivery || !caller.canSee(delivery.tenantId)) throw ApiProblem.notFound('delivery', id);
    return delivery;
  }

  /** In attempt order, `limit + 1` rows after `afterId`. */
  listAttempts(deliveryId: string, page: { afterId?: string; limit: number }): Promise<Attempt[]> {
    return this.attempts.find({
      where: { deliveryId, ...(page.afterId !== undefined ? { id: MoreThan(page.afterId) } : {}) },
      order: { attemptNumber: 'ASC' },
      take: page.limit + 1,
    });
  }

  async insertMany(manager: EntityManager, rows: Delivery[]): Promise<void> {
    await insertRows(manager, Delivery, rows);
  }

  /** Settles an endpoint's open deliveries as `status` (cancelled on delete, dead on disable). */
  async settleOpenForEndpoint(
    manager: EntityManager,
    endpointId: string,
    status: 'cancelled' | 'dead',
    now: Date,
  ): Promise<number> {
    const result = await manager.update(
      Delivery,
      { endpointId, status: In(OPEN_STATUSES) },
      { status, nextAttemptAt: null, updatedAt: now },
    );
    return result.affected ?? 0;
  }
}
