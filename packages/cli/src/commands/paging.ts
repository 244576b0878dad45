import type { Query } from '../api-client.js';
import { type Command, type CommandContext, PAGING_OPTIONS } from '../command.js';
import { intOption, stringOption } from '../options.js';
import type { Column } from '../output.js';
import type { Page } from '../types.js';

/** GETs a list; with --all follows next_cursor and returns everything as one page. */
async function fetchList<T>(ctx: CommandContext, path: string, query: Query): Promise<Page<T>> {
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

export interface ListCommandSpec<T> extends Omit<Command, 'args' | 'run'> {
  /** The API path listed, e.g. `/deliveries`. */
  path: string;
  /** The filters, as query parameters, from the command's own options. */
  query(ctx: CommandContext): Query;
  columns: readonly Column<T>[];
  /** Printed instead of an empty table. */
  empty: string;
}

/**
 * A `… list` command: GETs `path` with the filters and the paging options, prints the page as JSON or
 * as a table followed by how to get the next page. The paging options are added to `options`.
 */
export function listCommand<T>({ path, query, columns, empty, ...command }: ListCommandSpec<T>): Command {
  return {
    ...command,
    args: 0,
    options: { ...command.options, ...PAGING_OPTIONS },
    async run(ctx) {
      const page = await fetchList<T>(ctx, path, query(ctx));
      ctx.out.result(page, () => {
        ctx.out.table(page.data, columns, empty);
        if (page.next_cursor)
          ctx.out.line(`\nMore: acme-webhooks ${command.name} --cursor ${page.next_cursor}  (or --all)`);
      });
      return 0;
    },
  };
}
