import { RESOURCE, segment } from '../api-client.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { jsonObjectOption, stringOption, timeOption } from '../options.js';
import type { Delivery, WebhookEvent } from '../types.js';
import { DELIVERY_COLUMNS, EVENT_COLUMNS } from './columns.js';
import { fetchAllPages, listCommand } from './paging.js';

const send: Command = {
  name: 'events send',
  summary: 'publish an event; it fans out to every matching enabled endpoint',
  usage: '<type> [--data <json|@file|->] [--tenant <id>] [--idempotency-key <key>]',
  args: [0, 1],
  options: {
    type: { type: 'string', value: '<type>', description: 'event type, instead of the positional argument' },
    data: { type: 'string', value: '<json|@file|->', description: 'event data, a JSON object (default {})' },
    tenant: { type: 'string', value: '<id>', description: 'tenant to publish for (default: "default")' },
    'idempotency-key': {
      type: 'string',
      value: '<key>',
      description: 'send it again with the same key within 24h and nothing new is created',
    },
  },
  examples: [
    'acme-webhooks events send invoice.paid --data \'{"invoice_id":"inv_1","amount":4900}\'',
    'acme-webhooks events send order.shipped --data @order.json --idempotency-key order-42-shipped',
    'cat event.json | acme-webhooks events send customer.created --data - --json',
  ],
  async run(ctx) {
    const positional = ctx.positionals[0];
    const flag = stringOption(ctx.values, 'type');
    if (positional !== undefined && flag !== undefined && positional !== flag) {
      throw new UsageError(`the event type is given twice ("${positional}" and --type "${flag}")`);
    }
    const type = positional ?? flag;
    if (type === undefined)
      throw new UsageError('the event type is required, e.g. acme-webhooks events send invoice.paid');
    const body: Record<string, unknown> = { type, data: (await jsonObjectOption(ctx, 'data')) ?? {} };
    const tenant = stringOption(ctx.values, 'tenant');
    if (tenant !== undefined) body.tenant_id = tenant;
    const key = stringOption(ctx.values, 'idempotency-key');
    const event = await ctx.api().post<WebhookEvent>('/events', body, {
      headers: key ? { 'idempotency-key': key } : undefined,
      shape: RESOURCE,
    });
    ctx.out.result(event, () => {
      ctx.out.line(`Accepted event ${event.id} (${event.type}, tenant ${event.tenant_id})`);
      ctx.out.line(`Follow its deliveries: acme-webhooks events get ${event.id} --deliveries`);
    });
    return 0;
  },
};

const list = listCommand<WebhookEvent>({
  name: 'events list',
  summary: 'list events, newest first',
  usage: '[--type <type>] [--since <time>] [--until <time>] [--tenant <id>] [paging]',
  options: {
    type: { type: 'string', value: '<type>', description: 'only this event type' },
    since: {
      type: 'string',
      value: '<time>',
      time: true,
      description: 'ISO-8601 time or an age like 30m, 2h, 7d',
    },
    until: { type: 'string', value: '<time>', time: true, description: 'ISO-8601 time or an age' },
    tenant: { type: 'string', value: '<id>', description: 'only this tenant' },
  },
  examples: [
    'acme-webhooks events list --since 1h',
    'acme-webhooks events list --type invoice.paid --limit 10 --json',
  ],
  path: '/events',
  query: (ctx) => ({
    type: stringOption(ctx.values, 'type'),
    since: timeOption(ctx.values, 'since'),
    until: timeOption(ctx.values, 'until'),
    tenant_id: stringOption(ctx.values, 'tenant'),
  }),
  columns: EVENT_COLUMNS,
  empty: 'No events.',
});

const get: Command = {
  name: 'events get',
  summary: 'show one event and, with --deliveries, where it went',
  usage: '<evt_id> [--deliveries]',
  args: 1,
  options: { deliveries: { type: 'boolean', description: 'also list its deliveries' } },
  examples: ['acme-webhooks events get evt_123', 'acme-webhooks events get evt_123 --deliveries --json'],
  async run(ctx) {
    const id = segment(ctx.positionals[0] ?? '');
    const event = await ctx.api().get<WebhookEvent>(`/events/${id}`, undefined, RESOURCE);
    if (!ctx.values.deliveries) {
      ctx.out.result(event, () => ctx.out.record(event, ['id', 'type', 'tenant_id', 'created_at', 'data']));
      return 0;
    }
    const deliveries = await fetchAllPages<Delivery>(ctx, `/events/${id}/deliveries`);
    ctx.out.result({ event, deliveries: deliveries.data }, () => {
      ctx.out.record(event, ['id', 'type', 'tenant_id', 'created_at', 'data']);
      ctx.out.line();
      ctx.out.table(deliveries.data, DELIVERY_COLUMNS, 'No deliveries (no enabled endpoint matched).');
    });
    return 0;
  },
};

export const eventCommands: Command[] = [send, list, get];
