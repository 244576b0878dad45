import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const serverRoot = resolve(__dirname, '../..');
export const mainJs = join(serverRoot, 'dist/main.js');

/** A `node dist/main.js` child process with its output captured. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** The URL from its start banner. */
  url: Promise<string>;
}

export function spawnServer(name: string, env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [mainJs], {
    cwd: serverRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let announce: (url: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const url = new Promise<string>((resolveUrl, reject) => {
    announce = resolveUrl;
    fail = reject;
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    const found = /listening on (http:\/\/[^\s]+)/.exec(output);
    if (found) announce(found[1]!);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      fail(new Error(`${name} exited (${code}) before listening:\n${output}`));
      done(code);
    }),
  );
  url.catch(() => undefined);
  return { name, child, output: () => output, exited, url };
}

/** SIGKILL: no shutdown hook runs, like a crash or an OOM kill. */
export async function crash(process: ServerProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGKILL');
  await process.exited;
}

export async function stop(process: ServerProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  const timer = setTimeout(() => process.child.kill('SIGKILL'), 20_000);
  await process.exited;
  clearTimeout(timer);
}
