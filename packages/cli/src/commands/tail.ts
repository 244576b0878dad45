import type { Query } from '../api-client.js';
import type { Command, CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { durationOption, intOption } from '../options.js';
import { formatTime } from '../output.js';
import { sleep } from '../sleep.js';
import type { Delivery } from '../types.js';
import { lastResult } from './columns.js';
import { deliveryFilters } from './deliveries.js';

const PAGE_SIZE = 100;
/** Pages read per poll when everything on a page is new (a burst bigger than this is summarised). */
const MAX_PAGES_PER_POLL = 10;
const MAX_TRACKED = 20_000;
/** Polls closer than this would only load the server, not show changes sooner. */
const MIN_INTERVAL_MS = 100;

interface Seen {
  status: string;
  attempts: number;
}

export interface DeliveryChange {
  change: 'new' | 'updated';
  previous_status: string | null;
  delivery: Delivery;
}

/**
 * Compares a poll with what was seen before: deliveries not seen are new, seen ones whose status or
 * attempt count moved are updates. Oldest first, so the output reads in order. Updates `seen`.
 */
export function diffDeliveries(seen: Map<string, Seen>, polled: readonly Delivery[]): DeliveryChange[] {
  const changes: DeliveryChange[] = [];
  for (const delivery of [...polled].reverse()) {
    const before = seen.get(delivery.id);
    if (!before) {
      changes.push({ change: 'new', previous_status: null, delivery });
    } else if (before.status !== delivery.status || before.attempts !== delivery.attempts) {
      changes.push({ change: 'updated', previous_status: before.status, delivery });
    }
    seen.delete(delivery.id);
    seen.set(delivery.id, { status: delivery.status, attempts: delivery.attempts });
  }
  while (seen.size > MAX_TRACKED) {
    const oldest = seen.keys().next().value;
    if (oldest === undefined) break;
    seen.delete(oldest);
  }
  return changes;
}

export function formatChange({ change, previous_status, delivery: d }: DeliveryChange): string {
  const transition =
    change === 'new' ? 'new' : previous_status === d.status ? `still ${d.status}` : `was ${previous_status}`;
  const next = d.status === 'retrying' && d.next_attempt_at ? ` next=${formatTime(d.next_attempt_at)}` : '';
  return `${formatTime(d.updated_at)}  ${d.id}  ${d.status.padEnd(9)}  (${transition})  attempts=${d.attempts} last=${lastResult(d)}${next} event=${d.event_id} endpoint=${d.endpoint_id} trigger=${d.trigger}`;
}

/** Newest deliveries, reading further pages while every delivery on a page is unknown. */
async function poll(ctx: CommandContext, query: Query, seen: Map<string, Seen>): Promise<Delivery[]> {
  const all: Delivery[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES_PER_POLL; i++) {
    const page = await ctx.api().getPage<Delivery>('/deliveries', { ...query, limit: PAGE_SIZE, cursor });
    all.push(...page.data);
    const allNew = page.data.every((d) => !seen.has(d.id));
    if (!page.next_cursor || !allNew || seen.size === 0) break;
    cursor = page.next_cursor;
  }
  return all;
}

export const tail: Command = {
  name: 'tail',
  summary: 'follow deliveries live: prints new deliveries and status changes until Ctrl-C',
  usage: '[--endpoint <wh_id>] [--event <evt_id>] [--status <status>] [--count <n>] [--timeout <duration>]',
  args: 0,
  options: {
    endpoint: { type: 'string', value: '<wh_id>', description: 'only deliveries to this endpoint' },
    event: { type: 'string', value: '<evt_id>', description: 'only deliveries of this event' },
    status: { type: 'string', value: '<status>', description: 'only deliveries now in this status' },
    tenant: { type: 'string', value: '<id>', description: 'only this tenant' },
    interval: {
      type: 'string',
      value: '<duration>',
      description: 'poll interval, at least 100ms (default 1s)',
    },
    count: { type: 'string', value: '<n>', description: 'exit 0 after printing n lines' },
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'stop after this long (exit 0, or 1 if --count was not reached)',
    },
    history: { type: 'boolean', description: 'first print the newest existing deliveries too' },
  },
  examples: [
    'acme-webhooks tail',
    'acme-webhooks tail --endpoint wh_123 --status dead',
    'acme-webhooks tail --count 3 --timeout 30s --json   # in a script: wait for 3 updates',
  ],
  notes:
    'Polls GET /deliveries (newest first). A line is printed when a delivery appears and whenever its status or\n' +
    'attempt count changes, e.g. pending → retrying → succeeded. With --json each line is a JSON object:\n' +
    '{"change":"new"|"updated","previous_status":…,"delivery":{…}}. The "Tailing…" banner goes to stderr.',
  async run(ctx) {
    const query = deliveryFilters(ctx);
    const intervalMs = durationOption(ctx.values, 'interval', MIN_INTERVAL_MS) ?? 1000;
    const count = intOption(ctx.values, 'count', 1, 1_000_000);
    const timeoutMs = durationOption(ctx.values, 'timeout');

    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), timeoutMs);
    let printed = 0;
    const emit = (change: DeliveryChange) => {
      if (count !== undefined && printed >= count) return;
      ctx.out.line(ctx.out.json ? JSON.stringify(change) : formatChange(change));
      printed += 1;
      if (count !== undefined && printed >= count) stop.abort();
    };

    try {
      const seen = new Map<string, Seen>();
      // The first poll is the baseline: a failure here (server down, bad key) ends the command.
      const baseline = await poll(ctx, query, seen);
      if (ctx.values.history) for (const change of diffDeliveries(seen, baseline)) emit(change);
      else diffDeliveries(seen, baseline);
      ctx.stderr.write(`Tailing deliveries on ${ctx.api().baseUrl} (Ctrl-C to stop)…\n`);

      let warned = false;
      while (!stop.signal.aborted) {
        await sleep(intervalMs, stop.signal);
        if (stop.signal.aborted) break;
        try {
          for (const change of diffDeliveries(seen, await poll(ctx, query, seen))) emit(change);
          warned = false;
        } catch (error) {
          if (ctx.signal.aborted || stop.signal.aborted) break;
          // A blip (server restart) should not end a long tail; say so once and keep polling.
          if (!warned) ctx.stderr.write(`acme-webhooks: ${(error as Error).message}; retrying…\n`);
          warned = true;
        }
      }
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }

    if (count !== undefined && printed < count && !ctx.signal.aborted) {
      throw new CliError(`tail stopped after --timeout with ${printed} of ${count} update(s)`);
    }
    return 0;
  },
};
