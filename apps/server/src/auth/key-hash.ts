import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new API key: `ak_` + 32 random bytes, base64url. */
export function generateApiKey(): string {
  return `ak_${randomBytes(32).toString('base64url')}`;
}

/** Hex SHA-256: what is stored instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time equality of two keys of any lengths (compares their hashes). */
export function sameKey(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
