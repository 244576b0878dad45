/**
 * `npm run demo` end to end: runs `node scripts/demo.mjs` from the repository root as a real
 * subprocess (the real server on a temporary SQLite, two mock receivers) and checks that it exits 0
 * after narrating a retry, a dead letter and a replay recovery, and that it cleaned up after itself.
 * Skipped, loudly, when the server or the mock receiver has not been built.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './bin.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../scripts/demo.mjs', import.meta.url));
const NEEDED = ['apps/server/dist/main.js', 'apps/mock-receiver/dist/index.js'].map((path) =>
  fileURLToPath(new URL(`../../../${path}`, import.meta.url)),
);
const missing = NEEDED.filter((path) => !existsSync(path));

if (missing.length > 0) {
  console.warn(
    `\n⚠️  SKIPPING packages/cli/test/demo.e2e.spec.ts: ${missing.join(', ')} not built.\n` +
      '    Build with `npm run build` (turbo builds them before this package’s tests).\n',
  );
}

function runDemo(timeoutMs: number) {
  return runNode(DEMO, [], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    timeoutMs,
    killSignal: 'SIGINT', // the demo cleans up on SIGINT
    label: 'demo',
  });
}

describe.skipIf(missing.length > 0)('npm run demo (scripts/demo.mjs)', () => {
  it('narrates retries, a dead letter and a replay recovery, exits 0 and cleans up', async () => {
    const run = await runDemo(70_000);
    const context = `\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    expect(run.code, context).toBe(0);
    expect(run.stderr, context).toBe('');
    expect(run.ms).toBeLessThan(60_000);
    const out = run.stdout;

    // Not a terminal: no colour codes.
    expect(out.includes('\u001b[')).toBe(false);

    // The healthy receiver.
    expect(out).toMatch(/✓ invoice\.paid\s+delivered to analytics on attempt 1 \(200 OK in \d+ ms\)/);

    // Retries with their real delays (schedule 1s, 2s, 4s, jittered ±20 %, plus dispatch latency).
    expect(out).toMatch(/attempt 1 at \+0\.0s: 500 Internal Server Error; retry 1 scheduled in \d+\.\ds/);
    const waits = [...out.matchAll(/attempt (\d) at \+[\d.]+s, ([\d.]+)s after the previous one: 500/g)].map(
      (match): [number, number] => [Number(match[1]), Number(match[2])],
    );
    expect(waits.map(([attempt]) => attempt)).toEqual([2, 3, 4]);
    for (const [attempt, waited] of waits) {
      const scheduled = 2 ** (attempt - 2); // 1s, 2s, 4s
      expect(waited, `attempt ${attempt}`).toBeGreaterThanOrEqual(scheduled * 0.8 - 0.1);
      expect(waited, `attempt ${attempt}`).toBeLessThanOrEqual(scheduled * 1.2 + 1);
    }
    expect(out).toContain('attempt 4 at');
    expect(out).toContain('no retries left');

    // The dead letter.
    expect(out).toMatch(/Delivery dlv_\w+ is dead after 4 attempts: .*dead-letter queue/);
    expect(out).toContain('Dead-letter queue (GET /deliveries?status=dead): 1 delivery');

    // Recovery and the replay.
    expect(out).toContain('shipping answers 200 again');
    expect(out).toMatch(/replay rpl_\w+: completed, 1 of 1 enqueued/);
    expect(out).toMatch(/✓ dead letter recovered: order\.created delivered to shipping by the replay/);
    expect(out).toContain('a second dry run over the same window now matches 0 event(s)');

    // What the receiver got.
    expect(out).toMatch(
      /evt_\w+ arrived 5 times: 4 answered 500 while down, 1 answered 200 after the replay/,
    );
    expect(out).toContain('✓ same webhook-id on every request');
    expect(out).toContain('✓ identical body bytes on every request');
    expect(out).toContain("✓ the replayed request's signature verifies with @acme/webhook-verify");
    expect(out).toContain('$ acme-webhooks replay endpoint wh_');
    expect(out).toContain('Demo complete.');

    // Cleaned up: the temporary database is gone, and so is the server.
    const dataDir = /SQLite in (\S+), deleted at the end/.exec(out)?.[1];
    expect(dataDir).toBeTruthy();
    expect(existsSync(dataDir as string)).toBe(false);
    const serverUrl = /server {5}(http:\/\/\S+)/.exec(out)?.[1];
    expect(serverUrl).toBeTruthy();
    await expect(fetch(`${serverUrl}/healthz`)).rejects.toThrow();
  }, 75_000);
});
