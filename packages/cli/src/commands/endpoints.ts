import { type Shape, segment } from '../api-client.js';
import { type Command, type CommandContext, type OptionSpec } from '../command.js';
import { UsageError } from '../errors.js';
import {
  csvOption,
  durationOption,
  headerOption,
  intOption,
  jsonObjectOption,
  stringOption,
} from '../options.js';
import type { Attempt, Delivery, Endpoint } from '../types.js';
import { attemptResult, ENDPOINT_COLUMNS, ENDPOINT_FIELDS, lastResult } from './columns.js';
import { listCommand } from './paging.js';

/** What an answer holding one endpoint must have. */
const ENDPOINT_SHAPE: Shape = { id: 'string', events: 'list' };

/** Fields shared by create and update. */
const ENDPOINT_OPTIONS: Record<string, OptionSpec> = {
  events: {
    type: 'string',
    value: '<types>',
    description: 'comma-separated event types: exact (invoice.paid), prefix (invoice.*) or *',
  },
  description: { type: 'string', value: '<text>', description: 'free text' },
  header: {
    type: 'string',
    multiple: true,
    value: '"Name: value"',
    description: 'a header added to every delivery; repeatable',
  },
  metadata: { type: 'string', value: '<json|@file>', description: 'a JSON object kept with the endpoint' },
  'max-concurrency': {
    type: 'string',
    value: '<n>',
    description: 'requests in flight at once (server default 10)',
  },
  'rate-limit': { type: 'string', value: '<n>', description: 'requests per second at most' },
};

async function endpointBody(ctx: CommandContext): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const events = csvOption(ctx.values, 'events');
  if (events !== undefined) body.events = events;
  const description = stringOption(ctx.values, 'description');
  if (description !== undefined) body.description = description;
  const headers = headerOption(ctx.values, 'header');
  if (headers !== undefined) body.headers = headers;
  const metadata = await jsonObjectOption(ctx, 'metadata');
  if (metadata !== undefined) body.metadata = metadata;
  const maxConcurrency = intOption(ctx.values, 'max-concurrency', 1, 1_000_000);
  if (maxConcurrency !== undefined) body.max_concurrency = maxConcurrency;
  const rateLimit = intOption(ctx.values, 'rate-limit', 1, 1_000_000);
  if (rateLimit !== undefined) body.rate_limit_per_second = rateLimit;
  return body;
}

const create: Command = {
  name: 'endpoints create',
  summary: 'register a URL to receive events; prints its signing secret',
  usage: '<url> --events <types> [options]',
  args: 1,
  options: {
    ...ENDPOINT_OPTIONS,
    tenant: { type: 'string', value: '<id>', description: 'tenant of the endpoint (default: "default")' },
  },
  examples: [
    "acme-webhooks endpoints create https://example.com/webhooks --events 'invoice.*,customer.created'",
    'acme-webhooks endpoints create http://127.0.0.1:4000/hooks --events "*" --header "X-Env: staging" --json',
  ],
  async run(ctx) {
    const body = await endpointBody(ctx);
    if (body.events === undefined) {
      throw new UsageError(
        '--events is required, e.g. --events invoice.paid,invoice.* (or --events "*" for all)',
      );
    }
    body.url = ctx.positionals[0];
    const tenant = stringOption(ctx.values, 'tenant');
    if (tenant !== undefined) body.tenant_id = tenant;
    const endpoint = await ctx.api().post<Endpoint>('/webhook-endpoints', body, { shape: ENDPOINT_SHAPE });
    ctx.out.result(endpoint, () => {
      ctx.out.line(`Created endpoint ${endpoint.id}`);
      ctx.out.record(endpoint, ENDPOINT_FIELDS);
      ctx.out.line();
      ctx.out.line(`Signing secret: ${endpoint.secret}`);
      ctx.out.line(`(shown again with: acme-webhooks endpoints get ${endpoint.id} --show-secret)`);
    });
    return 0;
  },
};

const list = listCommand<Endpoint>({
  name: 'endpoints list',
  summary: 'list endpoints, newest first',
  usage: '[--tenant <id>] [--limit <n>] [--cursor <c>] [--all]',
  options: {
    tenant: { type: 'string', value: '<id>', description: 'only this tenant' },
  },
  examples: ['acme-webhooks endpoints list', 'acme-webhooks endpoints list --tenant acme --all --json'],
  path: '/webhook-endpoints',
  query: (ctx) => ({ tenant_id: stringOption(ctx.values, 'tenant') }),
  columns: ENDPOINT_COLUMNS,
  empty: 'No endpoints.',
});

const get: Command = {
  name: 'endpoints get',
  summary: 'show one endpoint',
  usage: '<wh_id> [--show-secret]',
  args: 1,
  options: { 'show-secret': { type: 'boolean', description: 'also fetch and show its signing secret' } },
  examples: ['acme-webhooks endpoints get wh_123', 'acme-webhooks endpoints get wh_123 --show-secret --json'],
  async run(ctx) {
    const id = segment(ctx.positionals[0] ?? '');
    const endpoint = await ctx.api().get<Endpoint>(`/webhook-endpoints/${id}`, undefined, ENDPOINT_SHAPE);
    if (ctx.values['show-secret']) {
      const { secret } = await ctx
        .api()
        .get<{ secret: string }>(`/webhook-endpoints/${id}/secret`, undefined, { secret: 'string' });
      endpoint.secret = secret;
    }
    ctx.out.result(endpoint, () => ctx.out.record(endpoint, [...ENDPOINT_FIELDS, 'secret']));
    return 0;
  },
};

const update: Command = {
  name: 'endpoints update',
  summary: 'change an endpoint (only the fields given)',
  usage: '<wh_id> [--endpoint-url <url>] [--events <types>] [--enable | --disable] [options]',
  args: 1,
  options: {
    'endpoint-url': { type: 'string', value: '<url>', description: 'the new delivery URL' },
    ...ENDPOINT_OPTIONS,
    enable: { type: 'boolean', description: 'set status enabled (recovers a disabled endpoint)' },
    disable: { type: 'boolean', description: 'set status disabled (it receives nothing)' },
  },
  examples: [
    "acme-webhooks endpoints update wh_123 --events 'invoice.*'",
    'acme-webhooks endpoints update wh_123 --disable',
    'acme-webhooks endpoints update wh_123 --enable --endpoint-url https://example.com/v2/webhooks',
  ],
  async run(ctx) {
    const body = await endpointBody(ctx);
    const url = stringOption(ctx.values, 'endpoint-url');
    if (url !== undefined) body.url = url;
    if (ctx.values.enable && ctx.values.disable)
      throw new UsageError('--enable and --disable cannot be combined');
    if (ctx.values.enable) body.status = 'enabled';
    if (ctx.values.disable) body.status = 'disabled';
    if (Object.keys(body).length === 0) {
      throw new UsageError(
        'nothing to update: give at least one of --endpoint-url, --events, --enable, --disable, …',
      );
    }
    const endpoint = await ctx
      .api()
      .patch<Endpoint>(`/webhook-endpoints/${segment(ctx.positionals[0] ?? '')}`, body, ENDPOINT_SHAPE);
    ctx.out.result(endpoint, () => {
      ctx.out.line(`Updated endpoint ${endpoint.id}`);
      ctx.out.record(endpoint, ENDPOINT_FIELDS);
    });
    return 0;
  },
};

const remove: Command = {
  name: 'endpoints delete',
  summary: 'delete an endpoint; its pending and retrying deliveries are cancelled',
  usage: '<wh_id>',
  args: 1,
  options: {},
  examples: ['acme-webhooks endpoints delete wh_123'],
  async run(ctx) {
    const id = ctx.positionals[0] ?? '';
    await ctx.api().delete(`/webhook-endpoints/${segment(id)}`);
    ctx.out.result({ id, deleted: true }, () =>
      ctx.out.line(`Deleted endpoint ${id}; its pending and retrying deliveries are cancelled.`),
    );
    return 0;
  },
};

const rotateSecret: Command = {
  name: 'endpoints rotate-secret',
  summary: 'issue a new signing secret; the old one keeps signing during a grace period',
  usage: '<wh_id> [--grace-period <duration>]',
  args: 1,
  options: {
    'grace-period': {
      type: 'string',
      value: '<duration>',
      description: 'how long deliveries are also signed with the old secret: 0 to 7d (server default 24h)',
    },
  },
  examples: [
    'acme-webhooks endpoints rotate-secret wh_123',
    'acme-webhooks endpoints rotate-secret wh_123 --grace-period 1h',
    'acme-webhooks endpoints rotate-secret wh_123 --grace-period 0   # revoke the old secret now',
  ],
  async run(ctx) {
    const graceMs = durationOption(ctx.values, 'grace-period');
    const body = graceMs === undefined ? {} : { grace_period_seconds: Math.round(graceMs / 1000) };
    const id = ctx.positionals[0] ?? '';
    const result = await ctx
      .api()
      .post<{ secret: string }>(`/webhook-endpoints/${segment(id)}/rotate-secret`, body, {
        shape: { secret: 'string' },
      });
    ctx.out.result(result, () => {
      ctx.out.line(`New signing secret for ${id}: ${result.secret}`);
      const grace =
        graceMs === undefined ? '24h (the server default)' : stringOption(ctx.values, 'grace-period');
      ctx.out.line(
        graceMs === 0
          ? 'The old secret is no longer used.'
          : `Deliveries are signed with both secrets for ${grace}.`,
      );
    });
    return 0;
  },
};

const test: Command = {
  name: 'endpoints test',
  summary: 'send one test delivery now and show the result (exit 1 if the endpoint failed)',
  usage: '<wh_id> [--type <type>] [--data <json|@file>]',
  args: 1,
  options: {
    type: { type: 'string', value: '<type>', description: 'event type (default webhook.test)' },
    data: { type: 'string', value: '<json|@file|->', description: 'event data, a JSON object' },
  },
  examples: [
    'acme-webhooks endpoints test wh_123',
    'acme-webhooks endpoints test wh_123 --type invoice.paid --data \'{"amount":4900}\'',
  ],
  async run(ctx) {
    const body: Record<string, unknown> = {};
    const type = stringOption(ctx.values, 'type');
    if (type !== undefined) body.type = type;
    const data = await jsonObjectOption(ctx, 'data');
    if (data !== undefined) body.data = data;
    const id = ctx.positionals[0] ?? '';
    const result = await ctx
      .api()
      .post<{ delivery: Delivery; attempt: Attempt }>(`/webhook-endpoints/${segment(id)}/test`, body, {
        shape: { delivery: 'object', attempt: 'object' },
      });
    const { delivery, attempt } = result;
    ctx.out.result(result, () => {
      const duration = attempt.duration_ms === null ? '' : `, ${attempt.duration_ms} ms`;
      ctx.out.line(
        `Test delivery ${delivery.id} to ${id}: ${delivery.status} (${attemptResult(attempt)}${duration})`,
      );
      if (attempt.response?.body) ctx.out.line(`Response body: ${attempt.response.body.slice(0, 500)}`);
    });
    if (delivery.status === 'succeeded') return 0;
    ctx.stderr.write(`acme-webhooks: the test delivery to ${id} failed: ${lastResult(delivery)}\n`);
    return 1;
  },
};

export const endpointCommands: Command[] = [create, list, get, update, remove, rotateSecret, test];
