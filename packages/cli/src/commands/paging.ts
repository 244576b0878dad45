import type { Query } from '../api-client.js';
import type { CommandContext } from '../command.js';
import { intOption, stringOption } from '../options.js';
import type { Page } from '../types.js';

/** GETs a list; with --all follows next_cursor and returns everything as one page. */
export async function fetchList<T>(ctx: CommandContext, path: string, query: Query): Promise<Page<T>> {
  const limit = intOption(ctx.values, 'limit', 1, 250);
  let cursor = stringOption(ctx.values, 'cursor');
  const first = await ctx.api().get<Page<T>>(path, { ...query, limit, cursor });
  if (ctx.values.all !== true) return first;
  const data = [...first.data];
  cursor = first.next_cursor ?? undefined;
  while (cursor) {
    const page = await ctx.api().get<Page<T>>(path, { ...query, limit: limit ?? 250, cursor });
    data.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  }
  return { data, next_cursor: null };
}

/** After a human table: how to get the next page. */
export function printNextPage(ctx: CommandContext, page: Page<unknown>, command: string): void {
  if (page.next_cursor)
    ctx.out.line(`\nMore: acme-webhooks ${command} --cursor ${page.next_cursor}  (or --all)`);
}
