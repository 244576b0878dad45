import { AttemptErrorCode } from '../net/attempt-error';
import type { SendResult } from '../net/http-sender';
import { parseRetryAfter } from './retry-after';
import { RetrySchedule, retryDelay } from './retry-schedule';

/** What one attempt produced, as far as the retry decision cares. */
export interface AttemptResultSummary {
  /** The response status, or null when no response came back. */
  statusCode: number | null;
  errorCode: AttemptErrorCode | null;
  /** The raw `Retry-After` header of the response, if any. */
  retryAfter?: string | null;
}

export interface OutcomeInput {
  result: AttemptResultSummary;
  /** 1-based number of the attempt just made; a failure of attempt n waits for retry n. */
  attemptNumber: number;
  schedule: RetrySchedule;
  now: Date;
  random?: () => number;
  /** False for a manual attempt on a dead delivery and for test deliveries: a failure is final. */
  retryOnFailure?: boolean;
}

export type DeliveryOutcomeStatus = 'succeeded' | 'retrying' | 'dead';

export interface Outcome {
  status: DeliveryOutcomeStatus;
  nextAttemptAt: Date | null;
  /** 410 Gone: the endpoint asked never to be called again. */
  endpointAction?: 'disable_gone';
}

/** The summary of what the HTTP client returned for one attempt. */
export function summarizeSendResult(result: SendResult): AttemptResultSummary {
  return {
    statusCode: result.response?.status ?? null,
    errorCode: result.error?.code ?? null,
    retryAfter: result.response?.headers['retry-after'] ?? null,
  };
}

export function isSuccessfulAttempt(result: AttemptResultSummary): boolean {
  return (
    result.errorCode === null &&
    result.statusCode !== null &&
    result.statusCode >= 200 &&
    result.statusCode < 300
  );
}

/** Statuses whose `Retry-After` we honour (§4). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** The delivery's next state after an attempt (§4). Pure: the clock and the jitter are inputs. */
export function decideOutcome(input: OutcomeInput): Outcome {
  const { result, attemptNumber, schedule, now } = input;
  if (isSuccessfulAttempt(result)) return { status: 'succeeded', nextAttemptAt: null };
  if (result.statusCode === 410)
    return { status: 'dead', nextAttemptAt: null, endpointAction: 'disable_gone' };
  if (input.retryOnFailure === false) return { status: 'dead', nextAttemptAt: null };

  const delay = retryDelay(schedule, attemptNumber, input.random);
  if (delay === null) return { status: 'dead', nextAttemptAt: null };

  let waitMs = delay;
  if (result.statusCode !== null && RETRY_AFTER_STATUSES.has(result.statusCode)) {
    const asked = parseRetryAfter(result.retryAfter, now);
    if (asked !== null) waitMs = Math.max(waitMs, asked);
  }
  return { status: 'retrying', nextAttemptAt: new Date(now.getTime() + waitMs) };
}
