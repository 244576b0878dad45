/** An endpoint's current run of failed attempts (§4); any success ends it. */
export interface FailureStreak {
  consecutiveFailures: number;
  failingSince: Date | null;
}

export interface DisableRule {
  /** WEBHOOKS_DISABLE_AFTER: how old the streak must be. */
  disableAfterMs: number;
  /** WEBHOOKS_DISABLE_MIN_FAILURES: how many failed attempts long. */
  minFailures: number;
}

/** The streak after one more attempt (test deliveries never call this: they leave the streak alone). */
export function nextStreak(streak: FailureStreak, succeeded: boolean, now: Date): FailureStreak {
  if (succeeded) return { consecutiveFailures: 0, failingSince: null };
  return {
    consecutiveFailures: streak.consecutiveFailures + 1,
    failingSince: streak.failingSince ?? now,
  };
}

/** §4: disable (`failing`) when the streak is at least `disableAfterMs` old AND `minFailures` long. */
export function shouldDisableFailingEndpoint(streak: FailureStreak, now: Date, rule: DisableRule): boolean {
  if (streak.failingSince === null || streak.consecutiveFailures === 0) return false;
  return (
    now.getTime() - streak.failingSince.getTime() >= rule.disableAfterMs &&
    streak.consecutiveFailures >= Math.max(1, rule.minFailures)
  );
}

/**
 * After this many failed attempts in a row an endpoint's circuit is open: its due deliveries wait behind
 * ONE probe attempt at a time instead of each spending an attempt on an endpoint that is down.
 */
export const CIRCUIT_OPEN_AFTER_FAILURES = 5;

export function isCircuitOpen(consecutiveFailures: number): boolean {
  return consecutiveFailures >= CIRCUIT_OPEN_AFTER_FAILURES;
}

/** How many attempts to an endpoint may be in flight at once: its cap, or the single probe while open. */
export function allowedInFlight(endpoint: { maxConcurrency: number; consecutiveFailures: number }): number {
  if (isCircuitOpen(endpoint.consecutiveFailures)) return 1;
  return Math.max(1, endpoint.maxConcurrency);
}

/**
 * Whether a publish may hand an endpoint's new deliveries straight to its dispatcher (docs/architecture.md,
 * "Handoff at publish"): only with no failure streak (so the circuit breaker is not involved) and no
 * `rate_limit_per_second` (whose window claims keep); everything else is left to claims.
 */
export function mayHandOff(endpoint: {
  consecutiveFailures: number;
  rateLimitPerSecond: number | null;
}): boolean {
  return endpoint.consecutiveFailures === 0 && endpoint.rateLimitPerSecond === null;
}
