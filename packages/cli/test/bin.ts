import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time from spawn to exit. */
  ms: number;
}

export interface BinOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
  /** Called with each stderr chunk as it arrives (e.g. to act once tail is running). */
  onStderr?: (chunk: string) => void;
}

export interface NodeOptions extends Omit<BinOptions, 'env'> {
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Sent when the child outlives `timeoutMs` (default SIGKILL). */
  killSignal?: NodeJS.Signals;
  /** Names the run in the timeout error. */
  label: string;
}

/** Runs `node <script> …` as a real subprocess, collecting its output; rejects if it outlives the timeout. */
export function runNode(script: string, args: string[], options: NodeOptions): Promise<BinResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    const timer = setTimeout(() => {
      child.kill(options.killSignal ?? 'SIGKILL');
      reject(
        new Error(
          `${options.label} did not exit within ${timeoutMs}ms;\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs `node dist/cli.js …` as a real subprocess. The environment is minimal on purpose: no
 * ACME_WEBHOOKS_* leaks in from the developer's shell.
 */
export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  return runNode(BIN, args, {
    ...options,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    label: `acme-webhooks ${args.join(' ')}`,
  });
}

/** One line, no stack trace: what every failure must look like. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  if (lines.length !== 1 || /\n\s+at /.test(stderr) || !lines[0]?.startsWith('acme-webhooks: ')) {
    throw new Error(`expected one "acme-webhooks: …" line on stderr, got:\n${stderr}`);
  }
  return lines[0];
}
