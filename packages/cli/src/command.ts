import type { ApiClient } from './api-client.js';
import type { Output } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Shown in help, e.g. `<types>`. */
  value?: string;
  description: string;
  /** An ISO-8601 time or an age (`2h`), read with timeOption. */
  time?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  out: Output;
  /** The API client; created on first use so offline commands never need a server. */
  api(): ApiClient;
  stderr: { write(chunk: string): unknown };
  readStdin(): Promise<Buffer>;
  stdinIsTty: boolean;
  signal: AbortSignal;
  cwd: string;
}

export interface Command {
  /** Words that select it, e.g. `endpoints create`. */
  name: string;
  summary: string;
  /** After the name: `<url> --events <types> [options]`. */
  usage: string;
  /** Positional arguments taken: exact count, or [min, max]. */
  args: number | [number, number];
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Extra help text, shown after the options. */
  notes?: string;
  /** Offline commands take no --url / --api-key. */
  offline?: boolean;
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext): Promise<number | undefined>;
}

/** Options every list command takes. */
export const PAGING_OPTIONS: Record<string, OptionSpec> = {
  limit: { type: 'string', value: '<n>', description: 'page size, 1–250 (server default 50)' },
  cursor: { type: 'string', value: '<cursor>', description: 'continue from a next_cursor' },
  all: { type: 'boolean', description: 'follow next_cursor until the end' },
};
