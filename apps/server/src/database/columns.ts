import { ColumnOptions } from 'typeorm';

/** A millisecond-precision UTC timestamp column: `datetime(3)` on MySQL, ISO-like text on SQLite. */
export function dateColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'datetime', precision: 3, nullable: options.nullable ?? false };
}
