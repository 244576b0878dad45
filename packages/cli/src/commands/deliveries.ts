import { type Query, RESOURCE, segment } from '../api-client.js';
import type { Command, CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { stringOption, timeOption } from '../options.js';
import { formatTime } from '../output.js';
import type { Attempt, Delivery } from '../types.js';
import { ATTEMPT_COLUMNS, attemptResult, DELIVERY_COLUMNS, lastResult } from './columns.js';
import { fetchAllPages, listCommand } from './paging.js';

const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'dead', 'cancelled'];

function statusOption(value: string | undefined): string | undefined {
  if (value !== undefined && !DELIVERY_STATUSES.includes(value)) {
    throw new UsageError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}; got "${value}"`);
  }
  return value;
}

/** The filters `deliveries list` and `tail` share, as query parameters. */
export function deliveryFilters(ctx: CommandContext): Query {
  return {
    status: statusOption(stringOption(ctx.values, 'status')),
    endpoint_id: stringOption(ctx.values, 'endpoint'),
    event_id: stringOption(ctx.values, 'event'),
    tenant_id: stringOption(ctx.values, 'tenant'),
  };
}

const DELIVERY_FIELDS = [
  'id',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'last_attempt_at',
  'next_attempt_at',
  'trigger',
  'event_id',
  'endpoint_id',
  'tenant_id',
  'created_at',
  'updated_at',
];

const list = listCommand<Delivery>({
  name: 'deliveries list',
  summary: 'list deliveries, newest first (--status dead is the dead-letter queue)',
  usage:
    '[--status <status>] [--endpoint <wh_id>] [--event <evt_id>] [--since <time>] [--until <time>] [--tenant <id>] [paging]',
  options: {
    status: { type: 'string', value: '<status>', description: DELIVERY_STATUSES.join(' | ') },
    endpoint: { type: 'string', value: '<wh_id>', description: 'only deliveries to this endpoint' },
    event: { type: 'string', value: '<evt_id>', description: 'only deliveries of this event' },
    since: {
      type: 'string',
      value: '<time>',
      time: true,
      description: 'created at or after: ISO-8601 or an age like 2h',
    },
    until: {
      type: 'string',
      value: '<time>',
      time: true,
      description: 'created at or before: ISO-8601 or an age',
    },
    tenant: { type: 'string', value: '<id>', description: 'only this tenant' },
  },
  examples: [
    'acme-webhooks deliveries list --status dead',
    'acme-webhooks deliveries list --status dead --since 24h',
    'acme-webhooks deliveries list --endpoint wh_123 --limit 20',
    'acme-webhooks deliveries list --event evt_123 --json',
  ],
  path: '/deliveries',
  query: (ctx) => ({
    ...deliveryFilters(ctx),
    since: timeOption(ctx.values, 'since'),
    until: timeOption(ctx.values, 'until'),
  }),
  columns: DELIVERY_COLUMNS,
  empty: 'No deliveries.',
});

const get: Command = {
  name: 'deliveries get',
  summary: 'show one delivery',
  usage: '<dlv_id>',
  args: 1,
  options: {},
  examples: ['acme-webhooks deliveries get dlv_123'],
  async run(ctx) {
    const delivery = await ctx
      .api()
      .get<Delivery>(`/deliveries/${segment(ctx.positionals[0] ?? '')}`, undefined, RESOURCE);
    ctx.out.result(delivery, () => ctx.out.record(delivery, DELIVERY_FIELDS));
    return 0;
  },
};

function printAttemptDetail(ctx: CommandContext, attempt: Attempt): void {
  ctx.out.line(
    `#${attempt.attempt_number} ${attempt.id} (${attempt.trigger}) ${formatTime(attempt.started_at)}: ${attemptResult(attempt)}`,
  );
  ctx.out.line(`  POST ${attempt.request.url}`);
  for (const [name, value] of Object.entries(attempt.request.headers ?? {}))
    ctx.out.line(`  > ${name}: ${value}`);
  if (attempt.response) {
    ctx.out.line(`  < ${attempt.response.status}`);
    for (const [name, value] of Object.entries(attempt.response.headers ?? {}))
      ctx.out.line(`  < ${name}: ${value}`);
    if (attempt.response.body) {
      ctx.out.line(`  ${attempt.response.body}${attempt.response.body_truncated ? ' …(truncated)' : ''}`);
    }
  }
}

const attempts: Command = {
  name: 'deliveries attempts',
  summary: 'list the attempts of a delivery, in order',
  usage: '<dlv_id> [--verbose]',
  args: 1,
  options: {
    verbose: { type: 'boolean', short: 'v', description: 'show request and response headers and bodies' },
  },
  examples: ['acme-webhooks deliveries attempts dlv_123', 'acme-webhooks deliveries attempts dlv_123 -v'],
  async run(ctx) {
    // A handful per delivery (the retry schedule's length, plus manual retries): all of them.
    const page = await fetchAllPages<Attempt>(
      ctx,
      `/deliveries/${segment(ctx.positionals[0] ?? '')}/attempts`,
    );
    const rows = page.data;
    ctx.out.result(page, () => {
      if (!ctx.values.verbose) return ctx.out.table(rows, ATTEMPT_COLUMNS, 'No attempts yet.');
      if (rows.length === 0) return ctx.out.line('No attempts yet.');
      rows.forEach((attempt, i) => {
        if (i > 0) ctx.out.line();
        printAttemptDetail(ctx, attempt);
      });
    });
    return 0;
  },
};

/** What a retry did, from the delivery before and after it. */
function describeRetry(before: Delivery, after: Delivery): { line: string; failed: boolean } {
  if (after.attempts === before.attempts) {
    // The server found an attempt under way and made the delivery due now instead.
    return {
      line: `An attempt of ${after.id} was already under way; the delivery is due again now (status ${after.status}).`,
      failed: false,
    };
  }
  const next = after.next_attempt_at ? `, next attempt ${formatTime(after.next_attempt_at)}` : '';
  return {
    line: `Attempt ${after.attempts} of ${after.id}: ${lastResult(after)}; status now ${after.status}${next}.`,
    failed: after.status !== 'succeeded',
  };
}

const retry: Command = {
  name: 'deliveries retry',
  summary: 'attempt a delivery once more now: dead, pending or retrying (exit 1 if it failed)',
  usage: '<dlv_id>',
  args: 1,
  options: {},
  examples: ['acme-webhooks deliveries retry dlv_123'],
  notes:
    'The attempt is made now and logged with trigger manual. A dead delivery that fails again stays dead; a pending or retrying one keeps its retry schedule. Succeeded or cancelled deliveries cannot be retried (409).\n' +
    'Exit codes: 0 the attempt succeeded (or one already under way was brought forward); 1 it failed, or the retry was refused.',
  async run(ctx) {
    const id = ctx.positionals[0] ?? '';
    const path = `/deliveries/${segment(id)}`;
    const before = await ctx.api().get<Delivery>(path, undefined, RESOURCE);
    const after = await ctx.api().post<Delivery>(`${path}/retry`, undefined, { shape: RESOURCE });
    const { line, failed } = describeRetry(before, after);
    ctx.out.result(after, () => {
      ctx.out.line(line);
      ctx.out.line(`All attempts: acme-webhooks deliveries attempts ${id}`);
    });
    if (!failed) return 0;
    ctx.stderr.write(`acme-webhooks: the retry of ${id} failed: ${lastResult(after)}\n`);
    return 1;
  },
};

export const deliveryCommands: Command[] = [list, get, attempts, retry];
