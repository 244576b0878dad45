import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext, OptionValues } from './command.js';
import { CliError, UsageError } from './errors.js';

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `--events a,b` (or a repeated flag) → `['a', 'b']` (trimmed, empty parts dropped); undefined when
 * the flag is absent.
 */
export function csvOption(values: OptionValues, name: string): string[] | undefined {
  const value = values[name];
  if (value === undefined || typeof value === 'boolean') return undefined;
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Reads a file named on the command line (relative to the working directory); `what` names it in the error. */
export async function readFileArgument(ctx: CommandContext, path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(resolve(ctx.cwd, path));
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

export function intOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `2h`, `7d`; a bare number is seconds. */
export function parseDuration(raw: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match)
    throw new UsageError(`--${flag} must be a duration like 500ms, 30s, 5m, 2h or 7d, got "${raw}"`);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
}

export function durationOption(values: OptionValues, name: string, minMs = 0): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw, name);
  if (ms < minMs) throw new UsageError(`--${name} must be at least ${minMs}ms, got "${raw}"`);
  return ms;
}

/** An ISO-8601 time, `now`, or a duration ago (`2h` = two hours ago); returned as ISO-8601 UTC. */
export function parseTime(raw: string, flag: string, now = Date.now()): string {
  const trimmed = raw.trim();
  if (trimmed === 'now') return new Date(now).toISOString();
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)$/.test(trimmed))
    return new Date(now - parseDuration(trimmed, flag)).toISOString();
  const parsed = Date.parse(trimmed);
  if (!/^\d{4}-\d\d-\d\d/.test(trimmed) || Number.isNaN(parsed)) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 time (2025-01-13T12:00:00Z), "now", or an age like 30m, 2h, 7d; got "${raw}"`,
    );
  }
  return new Date(parsed).toISOString();
}

export function timeOption(values: OptionValues, name: string): string | undefined {
  const raw = stringOption(values, name);
  return raw === undefined ? undefined : parseTime(raw, name);
}

/** `--data '{"a":1}'`, `--data @file.json` or `--data -` (stdin); must be a JSON object. */
export async function jsonObjectOption(
  ctx: CommandContext,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  const raw = stringOption(ctx.values, name);
  if (raw === undefined) return undefined;
  let text: string;
  let source = `--${name}`;
  if (raw === '-') {
    text = (await ctx.readStdin()).toString('utf8');
    source = `--${name} (stdin)`;
  } else if (raw.startsWith('@')) {
    const path = raw.slice(1);
    text = (await readFileArgument(ctx, path, `--${name} file`)).toString('utf8');
    source = `--${name} file ${path}`;
  } else {
    text = raw;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${source} must be a JSON object, like '{"amount": 4900}'`);
  }
  return value as Record<string, unknown>;
}

/** `--header 'Name: value'` (repeatable) → `{Name: 'value'}`. */
export function headerOption(values: OptionValues, name: string): Record<string, string> | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const headers: Record<string, string> = {};
  for (const entry of Array.isArray(raw) ? raw : [raw]) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new UsageError(`--${name} must look like "Name: value", got "${entry}"`);
    headers[entry.slice(0, colon).trim()] = entry.slice(colon + 1).trim();
  }
  return headers;
}

/** Reads a payload from --file or stdin, as raw bytes (signatures are over exact bytes). */
export async function payloadInput(ctx: CommandContext): Promise<Buffer> {
  const file = stringOption(ctx.values, 'file');
  if (file !== undefined && file !== '-') return readFileArgument(ctx, file, '--file');
  if (file === undefined && ctx.stdinIsTty) {
    throw new UsageError('no payload: pass --file <path> or pipe the raw body on stdin');
  }
  return ctx.readStdin();
}
