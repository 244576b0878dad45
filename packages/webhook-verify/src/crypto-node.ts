import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CryptoProvider } from './crypto-web.js';

/** node:crypto: synchronous, so verify() and sign() can be plain functions. */
export const nodeCrypto = {
  hmacSha256Sync(key: Uint8Array, message: Uint8Array): Uint8Array {
    return createHmac('sha256', key).update(message).digest();
  },
  sha256Sync(data: Uint8Array): Uint8Array {
    return createHash('sha256').update(data).digest();
  },
  equal(a: Uint8Array, b: Uint8Array): boolean {
    // Lengths are public (a SHA-256 MAC is always 32 bytes); only the contents must not leak through timing.
    return a.length === b.length && timingSafeEqual(a, b);
  },
  async hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    return nodeCrypto.hmacSha256Sync(key, message);
  },
  async sha256(data: Uint8Array): Promise<Uint8Array> {
    return nodeCrypto.sha256Sync(data);
  },
} satisfies CryptoProvider & Record<string, unknown>;
