import { sign, verify, WebhookVerificationError } from '@acme/webhook-verify';
import type { Command, CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import {
  csvOption,
  headerOption,
  intOption,
  payloadInput,
  readFileArgument,
  stringOption,
} from '../options.js';

/** Why a --secret value is not an endpoint secret, without echoing it; undefined when it is one. */
function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith('whsec_')) return 'does not start with "whsec_"';
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return 'is not base64 after "whsec_"';
  return undefined;
}

/**
 * The --secret values, each an endpoint secret as the API issues it: `whsec_` + base64. The SDK's
 * `sign` would take bare base64 too, but no endpoint has such a secret, so what it signs would never
 * match a delivery.
 */
function secretsOf(ctx: CommandContext): string[] {
  const secrets = csvOption(ctx.values, 'secret') ?? [];
  if (secrets.length === 0) {
    throw new UsageError('--secret is required (the endpoint secret, whsec_…); repeat it to use several');
  }
  secrets.forEach((secret, i) => {
    const problem = secretProblem(secret);
    if (problem) {
      throw new UsageError(
        `${secrets.length > 1 ? `--secret #${i + 1}` : '--secret'} ${problem}: give the endpoint's signing secret whole, "whsec_" + base64, as the API returned it`,
      );
    }
  });
  return secrets;
}

/** The payload's own `id` when it is a JSON object with one: the event id is the webhook-id. */
function idFromPayload(payload: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(payload.toString('utf8'));
    const id = (parsed as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** `--now` / `--timestamp`: unix seconds or an ISO-8601 time. */
function unixSeconds(raw: string, flag: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const parsed = Date.parse(raw);
  if (!/^\d{4}-\d\d-\d\d/.test(raw) || Number.isNaN(parsed)) {
    throw new UsageError(`--${flag} must be unix seconds or an ISO-8601 time, got "${raw}"`);
  }
  return Math.floor(parsed / 1000);
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'sign a payload offline and print the delivery signature headers',
  usage: '--secret <whsec_…> [--file <path> | < payload] [--id <evt_id>] [--timestamp <unix>]',
  args: 0,
  offline: true,
  options: {
    secret: {
      type: 'string',
      multiple: true,
      value: '<whsec_…>',
      description: 'signing secret; repeat to sign with several',
    },
    file: {
      type: 'string',
      value: '<path>',
      description: 'the payload (default: stdin), signed byte for byte',
    },
    id: { type: 'string', value: '<id>', description: 'webhook-id (default: the payload\'s "id")' },
    timestamp: { type: 'string', value: '<unix|iso>', description: 'signature time (default now)' },
  },
  examples: [
    'acme-webhooks sign --secret whsec_... --file event.json',
    'echo -n \'{"id":"evt_1","type":"ping","data":{}}\' | acme-webhooks sign --secret whsec_... --json > headers.json',
    'acme-webhooks sign --secret whsec_... --secret whsec_old... --file event.json --id evt_1 --timestamp 1736771700',
  ],
  notes: 'The human output is one "Name: value" line per header, which `verify --headers <file>` reads back.',
  async run(ctx) {
    const secrets = secretsOf(ctx);
    const payload = await payloadInput(ctx);
    const id = stringOption(ctx.values, 'id') ?? idFromPayload(payload);
    if (id === undefined)
      throw new UsageError('--id is required: the payload has no string "id" to use as webhook-id');
    const rawTimestamp = stringOption(ctx.values, 'timestamp');
    const timestamp = rawTimestamp === undefined ? undefined : unixSeconds(rawTimestamp, 'timestamp');
    let headers: Record<string, string>;
    try {
      headers = sign({ payload, secret: secrets, id, timestamp });
    } catch (error) {
      throw new UsageError(`cannot sign: ${(error as Error).message}`);
    }
    ctx.out.result(headers, () => {
      for (const [name, value] of Object.entries(headers)) ctx.out.line(`${name}: ${value}`);
    });
    return 0;
  },
};

/** A headers file: a JSON object (as `sign --json` prints) or `Name: value` lines (as `sign` prints, or curl -D). */
export function parseHeadersFile(text: string, source: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value === 'string') headers[name] = value;
      else if (Array.isArray(value)) headers[name] = value.map(String).join(', ');
      else if (value !== null && value !== undefined) headers[name] = String(value);
    }
    return headers;
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    // Skips a status line (HTTP/1.1 200 OK) and blank lines.
    if (colon <= 0 || /^HTTP\//i.test(line)) continue;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  if (Object.keys(headers).length === 0) throw new UsageError(`${source} holds no "Name: value" headers`);
  return headers;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a signed payload offline; exit 0 if valid, 1 with the error code if not',
  usage: '--secret <whsec_…> [--file <path> | < payload] (--header "Name: value"… | --headers <file>)',
  args: 0,
  offline: true,
  options: {
    secret: {
      type: 'string',
      multiple: true,
      value: '<whsec_…>',
      description: 'secret(s) to accept; repeatable',
    },
    file: { type: 'string', value: '<path>', description: 'the raw payload (default: stdin)' },
    header: {
      type: 'string',
      multiple: true,
      short: 'H',
      value: '"Name: value"',
      description: 'a received header; repeatable',
    },
    headers: {
      type: 'string',
      value: '<file>',
      description: 'received headers: a JSON object or "Name: value" lines (e.g. sign output)',
    },
    tolerance: { type: 'string', value: '<seconds>', description: 'accepted clock difference (default 300)' },
    now: { type: 'string', value: '<unix|iso>', description: 'verify as if it were this time' },
  },
  examples: [
    'acme-webhooks verify --secret whsec_... --file event.json --headers headers.txt',
    'acme-webhooks verify --secret whsec_... --file body.json -H "webhook-id: evt_1" -H "webhook-timestamp: 1736771700" -H "webhook-signature: v1,..."',
    'acme-webhooks verify --secret whsec_... --file body.json --header "X-Webhook-Signature: t=1736771700,v1=..." --now 1736771710',
  ],
  notes: 'Exit codes: 0 valid; 1 invalid (the line names the code, e.g. signature_mismatch); 2 bad usage.',
  async run(ctx) {
    const secrets = secretsOf(ctx);
    const headers: Record<string, string> = {};
    const file = stringOption(ctx.values, 'headers');
    if (file !== undefined) {
      const text = (await readFileArgument(ctx, file, '--headers')).toString('utf8');
      Object.assign(headers, parseHeadersFile(text, `--headers ${file}`));
    }
    Object.assign(headers, headerOption(ctx.values, 'header'));
    // A headers file may hold none (`{}`): then the verdict is that the signature header is missing.
    if (file === undefined && Object.keys(headers).length === 0) {
      throw new UsageError(
        'no headers: give the received headers with --header "Name: value" or --headers <file>',
      );
    }
    const payload = await payloadInput(ctx);
    const toleranceSeconds = intOption(ctx.values, 'tolerance', 0, 10 * 365 * 86_400);
    const rawNow = stringOption(ctx.values, 'now');
    const now = rawNow === undefined ? undefined : unixSeconds(rawNow, 'now') * 1000;

    try {
      const event = verify(payload, headers, secrets, { toleranceSeconds, now });
      ctx.out.result({ valid: true, event }, () => {
        ctx.out.line(`valid: signature verified for ${event.id ?? '(no id)'} (${event.type ?? 'no type'})`);
      });
      return 0;
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        if (ctx.out.json) ctx.out.printJson({ valid: false, code: error.code, message: error.message });
        ctx.stderr.write(`acme-webhooks: invalid: ${error.code}: ${error.message}\n`);
        return 1;
      }
      throw new UsageError(`cannot verify: ${(error as Error).message}`);
    }
  },
};
