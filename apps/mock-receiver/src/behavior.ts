/**
 * The behaviour spec language of the simulator (CONTRACT §7): comma-separated tokens.
 *
 * Parsing and deciding are pure so they can be table-tested; the HTTP server only carries out
 * the {@link Outcome} that {@link decideOutcome} returns.
 */

/** What a failing request does instead of answering 200. */
export type FailureMode = { kind: 'status'; status: number } | { kind: 'timeout' } | { kind: 'reset' };

/** One step of a `sequence:` token: a status code, or `timeout` / `reset`. */
export type SequenceStep = FailureMode;

export interface Behavior {
  /** The spec this behaviour was parsed from, normalised (tokens joined by commas). */
  spec: string;
  /** `status:<code>`: the answer to every request, or the failure status with fail-first/flaky. */
  status?: number;
  /** `sequence:<a>/<b>/…`: the first answers, in order; afterwards the other tokens decide (200 if none). */
  sequence?: SequenceStep[];
  /** `fail-first:<n>`: the first n requests on a path fail. */
  failFirst?: number;
  /** `flaky:<p>`: each request fails with probability p. */
  flaky?: number;
  /** `delay:<ms>`: wait this long before answering (or resetting). */
  delayMs?: number;
  /** `timeout`: never answer (with fail-first/flaky: failures never answer). */
  timeout?: boolean;
  /** `reset`: destroy the connection (with fail-first/flaky: failures are resets). */
  reset?: boolean;
  /** `retry-after:<s>`: a Retry-After header on every non-2xx answer. */
  retryAfterSeconds?: number;
}

export class BehaviorSpecError extends Error {
  constructor(
    /** The offending token, exactly as written. */
    readonly token: string,
    message: string,
  ) {
    super(message);
    this.name = 'BehaviorSpecError';
  }
}

export const DEFAULT_BEHAVIOR: Behavior = Object.freeze({ spec: '' });

const MAX_DELAY_MS = 10 * 60 * 1000;

function integer(token: string, raw: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new BehaviorSpecError(token, `"${token}": ${what} must be a whole number, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new BehaviorSpecError(token, `"${token}": ${what} must be between ${min} and ${max}`);
  }
  return value;
}

function statusCode(token: string, raw: string): number {
  return integer(token, raw, 200, 599, 'status code');
}

function sequenceStep(token: string, raw: string): SequenceStep {
  if (raw === 'timeout') return { kind: 'timeout' };
  if (raw === 'reset') return { kind: 'reset' };
  return { kind: 'status', status: statusCode(token, raw) };
}

/**
 * Parses a behaviour spec such as `fail-first:3,status:503,retry-after:10`.
 * An empty spec is the default behaviour: answer 200 at once.
 * Throws {@link BehaviorSpecError} naming the first bad token.
 */
export function parseBehavior(spec: string): Behavior {
  const behavior: Behavior = { spec: '' };
  const tokens = spec
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  const seen = new Set<string>();

  for (const token of tokens) {
    const colon = token.indexOf(':');
    const name = (colon === -1 ? token : token.slice(0, colon)).toLowerCase();
    const arg = colon === -1 ? undefined : token.slice(colon + 1).trim();
    if (seen.has(name)) throw new BehaviorSpecError(token, `"${token}": "${name}" is given twice`);
    seen.add(name);

    const needsArg = (): string => {
      if (arg === undefined || arg === '') {
        throw new BehaviorSpecError(token, `"${token}": "${name}" needs a value, e.g. ${EXAMPLES[name]}`);
      }
      return arg;
    };
    const noArg = (): void => {
      if (arg !== undefined) throw new BehaviorSpecError(token, `"${token}": "${name}" takes no value`);
    };

    switch (name) {
      case 'status':
        behavior.status = statusCode(token, needsArg());
        break;
      case 'sequence':
        behavior.sequence = needsArg()
          .split('/')
          .map((step) => sequenceStep(token, step.trim()));
        break;
      case 'fail-first':
        behavior.failFirst = integer(token, needsArg(), 0, 1_000_000, 'count');
        break;
      case 'flaky': {
        const raw = needsArg();
        const p = Number(raw);
        if (!/^(0|1|0?\.\d+|1\.0*)$/.test(raw) || Number.isNaN(p) || p < 0 || p > 1) {
          throw new BehaviorSpecError(token, `"${token}": probability must be between 0 and 1, got "${raw}"`);
        }
        behavior.flaky = p;
        break;
      }
      case 'delay':
        behavior.delayMs = integer(token, needsArg(), 0, MAX_DELAY_MS, 'delay in milliseconds');
        break;
      case 'timeout':
        noArg();
        behavior.timeout = true;
        break;
      case 'reset':
        noArg();
        behavior.reset = true;
        break;
      case 'retry-after':
        behavior.retryAfterSeconds = integer(token, needsArg(), 0, 86_400 * 7, 'seconds');
        break;
      default:
        throw new BehaviorSpecError(
          token,
          `"${token}": unknown token; expected one of status:<code>, sequence:<a>/<b>, fail-first:<n>, flaky:<p>, delay:<ms>, timeout, reset, retry-after:<s>`,
        );
    }
  }

  if (behavior.timeout && behavior.reset) {
    throw new BehaviorSpecError(
      'reset',
      '"timeout" and "reset" cannot be combined: a request can only fail one way',
    );
  }
  const failureMode = behavior.timeout ? 'timeout' : behavior.reset ? 'reset' : undefined;
  if (failureMode && behavior.status !== undefined) {
    throw new BehaviorSpecError(
      failureMode,
      `"${failureMode}" and "status" cannot be combined: a failure either answers a status or ${failureMode === 'timeout' ? 'never answers' : 'drops the connection'}`,
    );
  }
  behavior.spec = tokens.join(',');
  return behavior;
}

const EXAMPLES: Record<string, string> = {
  status: 'status:503',
  sequence: 'sequence:500/500/200',
  'fail-first': 'fail-first:3',
  flaky: 'flaky:0.3',
  delay: 'delay:2000',
  'retry-after': 'retry-after:30',
};

/** What the receiver does with one request. */
export type Outcome =
  | { kind: 'status'; status: number; delayMs: number; retryAfterSeconds?: number }
  | { kind: 'timeout'; delayMs: number }
  | { kind: 'reset'; delayMs: number };

/**
 * Decides the outcome of the `index`-th request (0-based) on a path under `behavior`.
 * `random` is only consulted for `flaky`, once per request, so a seeded generator gives
 * the same outcomes for the same request order.
 *
 * Rules: a `sequence` decides the first answers. After it, a request fails when it is among the
 * first `fail-first` or when `flaky` says so; a failure answers `status` (default 500, or 503 when
 * `retry-after` is given, since the server honours Retry-After only on 429 and 503), or times out
 * or resets when `timeout` / `reset` is given. Without fail-first or flaky, `status`, `timeout` or
 * `reset` apply to every request (after the sequence, if any), and `retry-after` alone answers 503.
 * Everything else is 200.
 */
export function decideOutcome(behavior: Behavior, index: number, random: () => number): Outcome {
  const delayMs = behavior.delayMs ?? 0;
  const step = behavior.sequence?.[index];
  const flakyRoll = behavior.flaky !== undefined ? random() : undefined;

  let failure: FailureMode | undefined;
  if (step) {
    failure = step;
  } else {
    const selective = behavior.failFirst !== undefined || behavior.flaky !== undefined;
    const fails = selective
      ? index < (behavior.failFirst ?? 0) || (flakyRoll !== undefined && flakyRoll < (behavior.flaky ?? 0))
      : behavior.status !== undefined ||
        behavior.timeout === true ||
        behavior.reset === true ||
        (behavior.retryAfterSeconds !== undefined && behavior.sequence === undefined);
    if (fails) {
      if (behavior.timeout) failure = { kind: 'timeout' };
      else if (behavior.reset) failure = { kind: 'reset' };
      else {
        failure = {
          kind: 'status',
          status: behavior.status ?? (behavior.retryAfterSeconds !== undefined ? 503 : 500),
        };
      }
    }
  }

  if (!failure) return { kind: 'status', status: 200, delayMs };
  if (failure.kind !== 'status') return { kind: failure.kind, delayMs };
  const isError = failure.status < 200 || failure.status > 299;
  return behavior.retryAfterSeconds !== undefined && isError
    ? { kind: 'status', status: failure.status, delayMs, retryAfterSeconds: behavior.retryAfterSeconds }
    : { kind: 'status', status: failure.status, delayMs };
}
