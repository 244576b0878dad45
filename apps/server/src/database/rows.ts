import { EntityManager, EntityMetadata, EntityTarget } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { deferWrite } from './statement-pipeline';

// Lean row reads and writes for the hot paths: plain parameterised SQL on the manager's connection,
// values converted by the driver exactly as TypeORM's own reads and writes convert them.

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

/** `SELECT <columns> FROM <table> <alias>` per entity and alias. */
const selectHeads = new WeakMap<EntityMetadata, Map<string, string>>();

/**
 * `SELECT <every column> FROM <table> <alias> WHERE <where> <tail>`, as one parameterised statement
 * (without TypeORM's query building and result transformation, which cost more CPU than the query on
 * the hot paths), to run alone or send with others (`queryAll`); `hydrate` turns its rows into
 * entities. Date parameters go through `persisted` first.
 */
export function selectStatement<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  alias: string,
  where: string,
  params: unknown[],
  tail = '',
): { sql: string; params: unknown[] } {
  const metadata = manager.connection.getMetadata(target);
  let heads = selectHeads.get(metadata);
  if (heads === undefined) {
    heads = new Map();
    selectHeads.set(metadata, heads);
  }
  let head = heads.get(alias);
  if (head === undefined) {
    const quote = (name: string) => manager.connection.driver.escape(name);
    head = `SELECT ${metadata.columns.map((c) => `${quote(alias)}.${quote(c.databaseName)}`).join(', ')} FROM ${quote(metadata.tableName)} ${quote(alias)}`;
    heads.set(alias, head);
  }
  return { sql: `${head} WHERE ${where}${tail ? ` ${tail}` : ''}`, params };
}

/**
 * Rows read with every column of `target` into instances of the entity class, each value hydrated
 * by the driver (`prepareHydratedValue`: dates, booleans, simple-json, transformers) exactly as an
 * entity read does.
 */
export function hydrate<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  raws: readonly Record<string, unknown>[],
): T[] {
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  return raws.map((raw) => {
    const entity = metadata.create(undefined, { fromDeserializer: true }) as Record<string, unknown>;
    for (const column of metadata.columns) {
      entity[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    }
    return entity as T;
  });
}

/**
 * `manager.findBy(target, { id: In(ids) })` for a single-`id`-key entity as a statement (selectStatement;
 * at least one id), to send with others (`queryAll`) and `hydrate`. Order unspecified.
 */
export function rowsByIdsStatement<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  ids: readonly string[],
): { sql: string; params: unknown[] } {
  return selectStatement(
    manager,
    target,
    'r',
    `r.${manager.connection.driver.escape('id')} IN (${placeholders(ids.length)})`,
    [...ids],
  );
}

/** `?, ?, …` for `count` parameters. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * A value as the driver stores it in `target`'s column for `property` (`preparePersistentValue`): how
 * raw SQL passes a Date (a Date for mysql2, UTC text on SQLite), as a query builder would.
 */
export function persisted<T extends object>(
  manager: EntityManager,
  target: EntityTarget<T>,
  property: keyof T & string,
  value: unknown,
): unknown {
  const column = manager.connection.getMetadata(target).findColumnWithPropertyName(property);
  if (!column) throw new Error(`no column for ${property}`);
  return manager.connection.driver.preparePersistentValue(value, column);
}
