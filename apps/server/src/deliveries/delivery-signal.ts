import { Injectable } from '@nestjs/common';

/**
 * In-process wake-up call: "new deliveries are due". The events service notifies after a publish
 * commits; a local dispatcher subscribes so it need not wait for its next poll. Other processes
 * still find the rows by polling, so a missed signal delays a delivery but never loses it.
 */
@Injectable()
export class DeliverySignal {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure must not fail the publish that already committed.
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
