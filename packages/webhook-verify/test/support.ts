import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Vector {
  name: string;
  valid: boolean;
  error?: string;
  secrets: string[];
  now: number;
  tolerance_seconds: number;
  body: string;
  headers: Record<string, string>;
}

export const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('./vectors/signatures.json', import.meta.url), 'utf8'),
).vectors;

export const SECRET_A = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUEtMDEyMzQ1Njc4OWFi';
export const SECRET_B = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUItYmE5ODc2NTQzMjEw';
export const T = 1736771700;
export const BODY = JSON.stringify({
  id: 'evt_1',
  type: 'invoice.paid',
  created_at: '2025-01-13T12:35:00.000Z',
  data: {},
});

type AnyVerify = (payload: never, headers: never, secret: never, options?: never) => unknown;

/** Runs one vector and asserts its outcome; works for sync and async verifiers. */
export async function checkVector(verify: AnyVerify, vector: Vector, isError: (e: unknown) => boolean) {
  const run = async () =>
    (verify as (...args: unknown[]) => unknown)(vector.body, vector.headers, vector.secrets, {
      now: vector.now * 1000,
      toleranceSeconds: vector.tolerance_seconds,
    });
  if (vector.valid) {
    return { event: await run(), expected: JSON.parse(vector.body) };
  }
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error(`vector ${vector.name} verified but should fail with ${vector.error}`);
  if (!isError(error) || (error as { code: string }).code !== vector.error) {
    throw new Error(
      `vector ${vector.name}: expected ${vector.error}, got ${String(error)} (${(error as { code?: string }).code})`,
    );
  }
  return undefined;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}
