import type { ReplayGuard } from './signature.js';

export interface MemoryReplayGuardOptions {
  /** Most requests remembered at once; beyond it the oldest are forgotten first. Default 10 000. */
  max?: number;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

export interface MemoryReplayGuard extends ReplayGuard {
  readonly size: number;
}

/**
 * Remembers accepted requests in this process, each until its timestamp leaves the tolerance window
 * (after which verification rejects it anyway). Several processes behind a load balancer need a
 * shared guard instead (see the Redis example in the README).
 */
export function createMemoryReplayGuard({
  max = 10_000,
  now = Date.now,
}: MemoryReplayGuardOptions = {}): MemoryReplayGuard {
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('max must be a positive integer.');
  // Map keeps insertion order, and entries expire in roughly that order, so the oldest sit at the front.
  const expiries = new Map<string, number>();

  return {
    get size() {
      return expiries.size;
    },
    checkAndRemember(key, ttlMs) {
      const at = now();
      const expiresAt = expiries.get(key);
      if (expiresAt !== undefined && expiresAt > at) return false;
      expiries.delete(key);
      for (const [oldKey, oldExpiry] of expiries) {
        if (oldExpiry > at && expiries.size < max) break;
        expiries.delete(oldKey);
      }
      expiries.set(key, at + ttlMs);
      return true;
    },
  };
}
