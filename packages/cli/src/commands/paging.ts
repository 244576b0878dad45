import type { Query } from '../api-client.js';
import { type Command, type CommandContext, type OptionValues, PAGING_OPTIONS } from '../command.js';
import { intOption, stringOption, timeOption } from '../options.js';
import type { Column } from '../output.js';
import type { Page } from '../types.js';

/** GETs a list; with --all follows next_cursor and returns everything as one page. */
async function fetchList<T>(ctx: CommandContext, path: string, query: Query): Promise<Page<T>> {
  const limit = intOption(ctx.values, 'limit', 1, 250);
  if (ctx.values.all === true) return fetchAllPages<T>(ctx, path, query, limit);
  return ctx.api().getPage<T>(path, { ...query, limit, cursor: stringOption(ctx.values, 'cursor') });
}

/**
 * Every page of `path` from the `--cursor` given (if any), `pageSize` at a time, as one page: for
 * `--all`, and for the short lists a command shows whole (a delivery's attempts, an event's deliveries).
 */
export async function fetchAllPages<T>(
  ctx: CommandContext,
  path: string,
  query: Query = {},
  pageSize = 250,
): Promise<Page<T>> {
  const data: T[] = [];
  let cursor = stringOption(ctx.values, 'cursor');
  do {
    const page = await ctx.api().getPage<T>(path, { ...query, limit: pageSize, cursor });
    data.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { data, next_cursor: null };
}

/**
 * The values with every time option as the ISO-8601 time it means: read once, so the request and the
 * next-page hint name the same window (`--since 2h` run again later would name another).
 */
function resolveTimes(command: Pick<Command, 'options'>, values: OptionValues): OptionValues {
  const resolved = { ...values };
  for (const [name, spec] of Object.entries(command.options)) {
    if (spec.time) resolved[name] = timeOption(values, name);
  }
  return resolved;
}

/** A shell word: as it is when that is safe to paste, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w.,:/@%+=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line for the page after this one: the command's own filters and --limit, --url if it
 * was given as a flag, and the cursor. The API key is never printed: a key given with --api-key is
 * shown as `--api-key …`, for the user to put back (one from ACME_WEBHOOKS_API_KEY needs nothing).
 */
export function nextPageCommand(
  command: Pick<Command, 'name' | 'options'>,
  values: OptionValues,
  cursor: string,
): string {
  const words = ['acme-webhooks', command.name];
  for (const name of [...Object.keys(command.options), 'url']) {
    const value = values[name];
    if (name === 'cursor' || name === 'all' || value === undefined || value === false) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      words.push(`--${name}`);
      if (one !== true) words.push(shellWord(one));
    }
  }
  if (values['api-key'] !== undefined) words.push('--api-key', '…');
  words.push('--cursor', shellWord(cursor));
  return words.join(' ');
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
 * as a table followed by the command line for the next page. The paging options are added to `options`.
 */
export function listCommand<T>({ path, query, columns, empty, ...spec }: ListCommandSpec<T>): Command {
  const command = { ...spec, args: 0, options: { ...spec.options, ...PAGING_OPTIONS } };
  return {
    ...command,
    async run(ctx) {
      const values = resolveTimes(command, ctx.values);
      const page = await fetchList<T>({ ...ctx, values }, path, query({ ...ctx, values }));
      ctx.out.result(page, () => {
        ctx.out.table(page.data, columns, empty);
        if (page.next_cursor)
          ctx.out.line(`\nMore: ${nextPageCommand(command, values, page.next_cursor)}  (or --all)`);
      });
      return 0;
    },
  };
}
