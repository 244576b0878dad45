import { parseArgs } from 'node:util';
import { ApiClient } from './api-client.js';
import type { Command, CommandContext, OptionValues } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { commandHelp, GLOBAL_OPTIONS, groupHelp, mainHelp } from './help.js';
import { stringOption } from './options.js';
import { Output, type Writer } from './output.js';

export interface RunIO {
  env?: Record<string, string | undefined>;
  stdout?: Writer;
  stderr?: Writer;
  /** The payload source of sign/verify (a stream, or chunks); defaults to process.stdin. */
  stdin?: (AsyncIterable<Buffer | string> | Iterable<Buffer | string>) & { isTTY?: boolean };
  /** Aborting it (Ctrl-C) stops `tail` cleanly and interrupts requests. */
  signal?: AbortSignal;
  cwd?: string;
}

export const DEFAULT_URL = 'http://localhost:3000';
const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]));
const GLOBAL_VALUE_FLAGS = new Set(['--url', '--api-key']);

interface Resolved {
  words: string[];
  rest: string[];
  command?: Command;
}

/** Splits argv into the command words (`endpoints create`) and everything else. */
function resolve(argv: readonly string[]): Resolved {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') break;
    if (token.startsWith('-')) {
      rest.push(token);
      if (GLOBAL_VALUE_FLAGS.has(token) && i + 1 < argv.length) rest.push(argv[++i] ?? '');
      continue;
    }
    words.push(token);
    const name = words.join(' ');
    if (COMMANDS.some((c) => c.name === name) || words.length === 2 || !GROUPS.has(words[0] ?? '')) {
      i++;
      break;
    }
  }
  rest.push(...argv.slice(i));
  const name = words.join(' ');
  return { words, rest, command: COMMANDS.find((c) => c.name === name) };
}

function parseError(error: unknown, command: Command): UsageError {
  const message = (error as Error).message;
  const code = (error as NodeJS.ErrnoException).code;
  const flag = /'(-[^' ]+)/.exec(message)?.[1];
  const see = `see acme-webhooks ${command.name} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`unknown option ${flag} for "${command.name}"; ${see}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(
      message.includes('argument missing')
        ? `option ${flag} needs a value; ${see}`
        : `${message.split('.')[0]}; ${see}`,
    );
  }
  return new UsageError(`${message.split('\n')[0]}; ${see}`);
}

function checkArgCount(command: Command, positionals: string[]): void {
  const [min, max] = typeof command.args === 'number' ? [command.args, command.args] : command.args;
  const see = `see acme-webhooks ${command.name} --help`;
  if (positionals.length < min) {
    throw new UsageError(
      `missing argument: acme-webhooks ${command.name} ${command.usage.split(' [')[0]}; ${see}`,
    );
  }
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument "${positionals[max]}" for "${command.name}"; ${see}`);
  }
}

async function readAll(stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function dispatch(argv: readonly string[], io: Required<Omit<RunIO, 'stdin'>> & Pick<RunIO, 'stdin'>) {
  const { words, rest, command } = resolve(argv);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');

  if (!command) {
    if (words.length === 0 || (words[0] === 'help' && words.length === 1)) {
      if (!wantsHelp && rest.includes('--version')) {
        io.stdout.write('acme-webhooks 1.0.0\n');
        return EXIT.ok;
      }
      io.stdout.write(mainHelp(COMMANDS));
      return EXIT.ok;
    }
    const group = words[0] === 'help' ? words[1] : words[0];
    const inner = words[0] === 'help' ? COMMANDS.find((c) => c.name === words.slice(1).join(' ')) : undefined;
    if (inner) {
      io.stdout.write(commandHelp(inner));
      return EXIT.ok;
    }
    // A group alone asks for nothing, like acme-webhooks alone: its help, exit 0.
    if (group && GROUPS.has(group) && (words.length === 1 || words[0] === 'help')) {
      io.stdout.write(groupHelp(group, COMMANDS));
      return EXIT.ok;
    }
    throw new UsageError(`unknown command "${words.join(' ')}"; see acme-webhooks --help`);
  }

  if (wantsHelp) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }

  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as OptionValues;
    positionals = parsed.positionals;
  } catch (error) {
    throw parseError(error, command);
  }
  checkArgCount(command, positionals);

  let client: ApiClient | undefined;
  const stdin = io.stdin ?? process.stdin;
  const ctx: CommandContext = {
    values,
    positionals,
    out: new Output(io.stdout, values.json === true),
    api: () => {
      client ??= new ApiClient({
        baseUrl: stringOption(values, 'url') || io.env.ACME_WEBHOOKS_URL || DEFAULT_URL,
        apiKey: stringOption(values, 'api-key') || io.env.ACME_WEBHOOKS_API_KEY,
        signal: io.signal,
      });
      return client;
    },
    stderr: io.stderr,
    readStdin: () => readAll(stdin),
    stdinIsTty: stdin.isTTY === true,
    signal: io.signal,
    cwd: io.cwd,
  };
  return (await command.run(ctx)) ?? EXIT.ok;
}

/**
 * Runs the CLI: `argv` without the node and script paths. Resolves to the exit code; every
 * failure is one line on stderr, never a stack trace.
 */
export async function run(argv: readonly string[], io: RunIO = {}): Promise<number> {
  const full = {
    env: io.env ?? process.env,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin,
    signal: io.signal ?? new AbortController().signal,
    cwd: io.cwd ?? process.cwd(),
  };
  try {
    return await dispatch(argv, full);
  } catch (error) {
    const message =
      error instanceof CliError
        ? error.message
        : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    full.stderr.write(`acme-webhooks: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
