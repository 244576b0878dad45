import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Between, FindOperator, LessThanOrEqual, MoreThanOrEqual } from 'typeorm';
import { decodeCursor } from './cursor';
import { type IdPrefix, isId } from './ids';
import { ApiProblem } from './problem';
import { IsTimestamp } from './validators';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 250;

/** `limit` and `cursor` of every list route. */
export class ListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  // Plain decimal digits only: Number() would also read `1e2`, `0x10`, `+5` or ` 5` as integers.
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value))
  @IsInt({ message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page.' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** A list filtered by creation time, both ends included. */
export class CreatedWindowQuery extends ListQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional()
  @IsTimestamp('must be an ISO-8601 timestamp')
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or before' })
  @IsOptional()
  @IsTimestamp('must be an ISO-8601 timestamp')
  until?: string;
}

/** A creation-time window as dates. */
export interface CreatedWindow {
  since?: Date;
  until?: Date;
}

/** The window a CreatedWindowQuery asks for. */
export function windowOf(query: CreatedWindowQuery): CreatedWindow {
  return {
    since: query.since === undefined ? undefined : new Date(query.since),
    until: query.until === undefined ? undefined : new Date(query.until),
  };
}

/** The `createdAt` condition of a window, both ends included; undefined when it is open at both. */
export function createdWithin({ since, until }: CreatedWindow): FindOperator<Date> | undefined {
  if (since && until) return Between(since, until);
  if (since) return MoreThanOrEqual(since);
  if (until) return LessThanOrEqual(until);
  return undefined;
}

/**
 * The page size and the id to continue from, validated: a cursor must hold an id of the kind the
 * list returns (`listed`), so one taken from another list is refused instead of paging nonsense.
 */
export function pageOf(query: ListQuery, listed: IdPrefix): { limit: number; beforeId: string | undefined } {
  let beforeId: string | undefined;
  if (query.cursor !== undefined) {
    beforeId = decodeCursor(query.cursor) ?? undefined;
    if (beforeId === undefined || !isId(beforeId, listed))
      throw ApiProblem.invalidField('cursor', 'is not a cursor returned by this list');
  }
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, beforeId };
}
