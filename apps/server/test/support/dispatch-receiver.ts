import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** One request a receiver got. */
export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Date.now() when the request finished arriving. */
  at: number;
}

/** What a path answers; called per request with the 1-based count of requests to that path so far. */
export type Behavior = (
  request: ReceivedRequest,
  n: number,
) =>
  | {
      status: number;
      headers?: Record<string, string>;
      body?: string;
      delayMs?: number;
      /** Answer only once this settles (after delayMs, if both are given). */
      holdUntil?: Promise<unknown>;
    }
  | 'hang'
  | 'reset';

/**
 * A real HTTP receiver on 127.0.0.1 for dispatch tests: per-path behaviour, every request recorded,
 * and the highest number of requests it held open at once (per path), to check concurrency caps.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly behaviors = new Map<string, Behavior>();
  private readonly counts = new Map<string, number>();
  private readonly open = new Map<string, number>();
  readonly maxOpen = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters: Array<() => void> = [];
  private server!: Server;
  url = '';

  static async start(): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    receiver.server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  on(path: string, behavior: Behavior): this {
    this.behaviors.set(path, behavior);
    return this;
  }

  /** Answers `statuses` in turn, then 200 forever. */
  sequence(path: string, statuses: number[]): this {
    return this.on(path, (_req, n) => ({ status: statuses[n - 1] ?? 200 }));
  }

  /** Requests to `path` that have arrived and not been answered (or dropped) yet. */
  openNow(path: string): number {
    return this.open.get(path) ?? 0;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Resolves once `predicate` holds (checked on every request), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const request: ReceivedRequest = {
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.requests.push(request);
      const n = (this.counts.get(path) ?? 0) + 1;
      this.counts.set(path, n);
      const open = (this.open.get(path) ?? 0) + 1;
      this.open.set(path, open);
      this.maxOpen.set(path, Math.max(this.maxOpen.get(path) ?? 0, open));
      res.on('close', () => this.open.set(path, (this.open.get(path) ?? 1) - 1));
      for (const waiter of this.waiters.splice(0)) waiter();

      const behavior: Behavior = this.behaviors.get(path) ?? (() => ({ status: 200 }));
      const answer = behavior(request, n);
      if (answer === 'hang') return;
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      };
      const delayed = () => (answer.delayMs ? setTimeout(send, answer.delayMs) : send());
      if (answer.holdUntil) void answer.holdUntil.then(delayed, delayed);
      else delayed();
    });
  }
}
