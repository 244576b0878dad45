import { Injectable } from '@nestjs/common';

/**
 * In-process wake-up call: "a replay was started". A local runner (worker role) starts at once;
 * runners in other processes find the row on their next poll.
 */
@Injectable()
export class ReplaySignal {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
