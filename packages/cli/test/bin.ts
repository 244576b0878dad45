import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BinOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
  /** Called with each stdout chunk as it arrives (e.g. to act once tail is running). */
  onStderr?: (chunk: string) => void;
}

/**
 * Runs `node dist/cli.js …` as a real subprocess. The environment is minimal on purpose: no
 * ACME_WEBHOOKS_* leaks in from the developer's shell.
 */
export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
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
      child.kill('SIGKILL');
      reject(
        new Error(
          `acme-webhooks ${args.join(' ')} did not exit within ${options.timeoutMs ?? 10_000}ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
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
