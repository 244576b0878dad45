import { type Shape, segment } from '../api-client.js';
import type { Command, CommandContext } from '../command.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { csvOption, durationOption, stringOption, timeOption } from '../options.js';
import { sleep } from '../sleep.js';
import type { Delivery, Replay } from '../types.js';
import { DELIVERY_COLUMNS } from './columns.js';

const replayEvent: Command = {
  name: 'replay event',
  summary: 'deliver an event again, to its matching endpoints or the ones named',
  usage: '<evt_id> [--endpoints <wh_id,…>]',
  args: 1,
  options: {
    endpoints: {
      type: 'string',
      value: '<wh_id,…>',
      description: 'only these endpoints (default: every matching enabled endpoint)',
    },
  },
  examples: [
    'acme-webhooks replay event evt_123',
    'acme-webhooks replay event evt_123 --endpoints wh_1,wh_2',
  ],
  notes:
    'Where a delivery of the event to an endpoint is still pending or retrying, that one is shown, not a second.',
  async run(ctx) {
    const endpointIds = csvOption(ctx.values, 'endpoints');
    const id = ctx.positionals[0] ?? '';
    const result = await ctx
      .api()
      .post<{ deliveries: Delivery[] }>(
        `/events/${segment(id)}/replay`,
        endpointIds === undefined ? {} : { endpoint_ids: endpointIds },
        { shape: { deliveries: 'list' } },
      );
    ctx.out.result(result, () => {
      ctx.out.line(
        `Replaying ${id}: ${result.deliveries.length} deliver${result.deliveries.length === 1 ? 'y' : 'ies'}`,
      );
      if (result.deliveries.length > 0) ctx.out.table(result.deliveries, DELIVERY_COLUMNS, '');
    });
    return 0;
  },
};

/** What an answer holding one replay must have. */
const REPLAY_SHAPE: Shape = { id: 'string', status: 'string' };

function printReplay(ctx: CommandContext, replay: Replay, dryRun: boolean): void {
  const verb = dryRun ? 'would enqueue' : 'enqueued';
  ctx.out.line(
    `Replay ${replay.id}: ${replay.status}; ${replay.matched} event(s) matched, ${replay.enqueued} ${verb}`,
  );
}

async function waitForReplay(ctx: CommandContext, replay: Replay, timeoutMs: number): Promise<Replay> {
  const deadline = Date.now() + timeoutMs;
  let current = replay;
  while (current.status === 'running') {
    if (Date.now() > deadline) {
      throw new CliError(
        `replay ${replay.id} still running after ${timeoutMs / 1000}s; check: acme-webhooks replay get ${replay.id}`,
      );
    }
    await sleep(500, ctx.signal);
    if (ctx.signal.aborted) throw new CliError('interrupted', EXIT.interrupted);
    current = await ctx.api().get<Replay>(`/replays/${segment(replay.id)}`, undefined, REPLAY_SHAPE);
  }
  return current;
}

const replayEndpoint: Command = {
  name: 'replay endpoint',
  summary: 'deliver again what an endpoint missed in a time window',
  usage:
    '<wh_id> --since <time> [--until <time>] [--types <types>] [--only undelivered|all] [--dry-run] [--wait]',
  args: 1,
  options: {
    since: {
      type: 'string',
      value: '<time>',
      time: true,
      description: 'window start: ISO-8601 or an age like 2h, 7d (required)',
    },
    until: { type: 'string', value: '<time>', time: true, description: 'window end (default now)' },
    types: { type: 'string', value: '<types>', description: 'only these event types (comma-separated)' },
    only: {
      type: 'string',
      value: '<which>',
      description: 'undelivered (default: no succeeded delivery to it yet) or all',
    },
    'dry-run': { type: 'boolean', description: 'only count what would be replayed' },
    wait: { type: 'boolean', description: 'wait until the replay completes' },
    'wait-timeout': {
      type: 'string',
      value: '<duration>',
      description: 'give up waiting after this (default 5m)',
    },
  },
  examples: [
    'acme-webhooks replay endpoint wh_123 --since 24h --dry-run',
    'acme-webhooks replay endpoint wh_123 --since 2025-01-13T00:00:00Z --until 2025-01-14T00:00:00Z --wait',
    "acme-webhooks replay endpoint wh_123 --since 7d --types 'invoice.*' --only all",
  ],
  notes: 'A disabled endpoint cannot be replayed (409) except as a dry run: re-enable it first.',
  async run(ctx) {
    const since = timeOption(ctx.values, 'since');
    if (since === undefined)
      throw new UsageError('--since is required, e.g. --since 24h or --since 2025-01-13T00:00:00Z');
    const only = stringOption(ctx.values, 'only');
    if (only !== undefined && only !== 'undelivered' && only !== 'all') {
      throw new UsageError(`--only must be "undelivered" or "all", got "${only}"`);
    }
    const body: Record<string, unknown> = { since };
    const until = timeOption(ctx.values, 'until');
    if (until !== undefined) body.until = until;
    const types = csvOption(ctx.values, 'types');
    if (types !== undefined) body.types = types;
    if (only !== undefined) body.only = only;
    const dryRun = ctx.values['dry-run'] === true;
    if (dryRun) body.dry_run = true;
    // Parsed before the POST: a typo here must not leave a replay running behind a usage error.
    const waitMs = durationOption(ctx.values, 'wait-timeout') ?? 300_000;

    const id = ctx.positionals[0] ?? '';
    let replay = await ctx
      .api()
      .post<Replay>(`/webhook-endpoints/${segment(id)}/replay`, body, { shape: REPLAY_SHAPE });
    if (ctx.values.wait) replay = await waitForReplay(ctx, replay, waitMs);
    ctx.out.result(replay, () => {
      printReplay(ctx, replay, dryRun);
      if (replay.status === 'running') ctx.out.line(`Progress: acme-webhooks replay get ${replay.id}`);
    });
    return replay.status === 'failed' ? 1 : 0;
  },
};

const replayGet: Command = {
  name: 'replay get',
  summary: 'show the progress of an endpoint replay',
  usage: '<rpl_id>',
  args: 1,
  options: {},
  examples: ['acme-webhooks replay get rpl_123'],
  async run(ctx) {
    const replay = await ctx
      .api()
      .get<Replay>(`/replays/${segment(ctx.positionals[0] ?? '')}`, undefined, REPLAY_SHAPE);
    ctx.out.result(replay, () => ctx.out.record(replay));
    return 0;
  },
};

export const replayCommands: Command[] = [replayEvent, replayEndpoint, replayGet];
