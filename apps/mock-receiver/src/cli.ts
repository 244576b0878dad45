#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { BehaviorSpecError } from './behavior.js';
import { startMockReceiver } from './receiver.js';

const USAGE = `Usage: acme-mock-receiver [--port 4000] [--host 127.0.0.1] [--secret whsec_…]… [--behavior SPEC] [--seed N]

A webhook receiver that fails on purpose. Answers every path; /_mock is its control API and live page.

Options:
  --port <n>         port to listen on (default 4000; 0 picks a free one)
  --host <addr>      interface to listen on (default 127.0.0.1)
  --secret <whsec>   endpoint secret; repeat for several. Signatures are then checked and recorded
  --behavior <spec>  comma-separated tokens (default: answer 200):
                       status:<code>          answer this status (the failure status with fail-first/flaky)
                       sequence:<a>/<b>/…     answer these in order (codes, timeout or reset), then 200
                       fail-first:<n>         the first n requests on a path answer 500, then 200
                       flaky:<p>              answer 500 with probability p (0..1)
                       delay:<ms>             wait before answering
                       timeout                never answer (hold the connection)
                       reset                  drop the connection (TCP reset)
                       retry-after:<s>        add Retry-After to failure answers (alone: 503)
  --seed <n>         seed for flaky:<p>, so a run can be repeated exactly
  --max-requests <n> how many requests to remember (default 1000)
  --quiet            no per-request log lines
  -h, --help         show this help

Control API:
  PUT    /_mock/behavior   {"path"?: "/hooks", "spec": "fail-first:2"} (an empty spec clears a path)
  GET    /_mock/behavior   current behaviours; DELETE /_mock/behavior resets them all
  GET    /_mock/requests   ?path=/hooks
  DELETE /_mock/requests
  GET    /_mock            live HTML page

Examples:
  acme-mock-receiver --port 4000 --secret whsec_... --behavior fail-first:2
  acme-mock-receiver --behavior flaky:0.3,delay:200 --seed 42
  acme-mock-receiver --behavior status:429,retry-after:30
  curl -X PUT localhost:4000/_mock/behavior -d '{"path":"/slow","spec":"timeout"}'
`;

function fail(message: string): never {
  process.stderr.write(`acme-mock-receiver: ${message}\n`);
  process.exit(2);
}

function wholeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  function parse() {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string', multiple: true },
        behavior: { type: 'string' },
        seed: { type: 'string' },
        'max-requests': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    fail(`${(error as Error).message}; see --help`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = wholeNumber('port', values.port, 4000);
  if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
  for (const secret of values.secret ?? []) {
    // An empty or mistyped secret would have every request recorded as invalid; say so at start instead.
    if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
      fail(
        `--secret must be an endpoint signing secret, "whsec_" + base64 (the secret of POST /webhook-endpoints), got ${secret === '' ? 'an empty value' : `one starting "${secret.slice(0, 6)}"`}`,
      );
    }
  }

  let receiver: Awaited<ReturnType<typeof startMockReceiver>>;
  try {
    receiver = await startMockReceiver({
      port,
      host: values.host ?? '127.0.0.1',
      secrets: values.secret ?? [],
      behavior: values.behavior,
      seed: values.seed === undefined ? undefined : wholeNumber('seed', values.seed, 0),
      maxRequests: wholeNumber('max-requests', values['max-requests'], 1000),
      log: !values.quiet,
    });
  } catch (error) {
    if (error instanceof BehaviorSpecError) fail(`invalid --behavior: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      fail(`port ${port} is already in use; pick another with --port (0 = any free port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') fail(`cannot listen on host "${values.host}"`);
    fail(`cannot start: ${(error as Error).message}`);
  }

  const secrets = values.secret?.length ?? 0;
  process.stdout.write(`acme-mock-receiver listening on ${receiver.url}\n`);
  process.stdout.write(
    `behavior: ${values.behavior || 'status 200'}; signatures: ${secrets > 0 ? `checked with ${secrets} secret(s)` : 'not checked (no --secret)'}; live page: ${receiver.url}/_mock\n`,
  );

  const stop = () => {
    receiver.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
