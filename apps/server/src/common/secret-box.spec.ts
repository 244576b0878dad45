import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config';
import { SecretBox } from './secret-box';

function box(fill: number, previousFill?: number): SecretBox {
  return new SecretBox({
    encryptionKey: Buffer.alloc(32, fill),
    previousEncryptionKey: previousFill === undefined ? undefined : Buffer.alloc(32, previousFill),
  } as AppConfig);
}

describe('SecretBox', () => {
  it('seals and opens, with a fresh IV each time and no plaintext in the ciphertext', () => {
    const sealed = box(1).seal('whsec_abc');
    expect(sealed.ciphertext).toMatch(/^v1\./);
    expect(sealed.ciphertext).not.toContain('whsec');
    expect(box(1).seal('whsec_abc').ciphertext).not.toBe(sealed.ciphertext);
    expect(box(1).open(sealed)).toBe('whsec_abc');
  });

  it('refuses another key, and tampering', () => {
    const sealed = box(1).seal('whsec_abc');
    expect(() => box(2).open(sealed)).toThrow(/encryption key/);
    const parts = sealed.ciphertext.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('whsec_abd').toString('base64url')].join('.');
    expect(() => box(1).open({ ...sealed, ciphertext: tampered })).toThrow();
  });

  it('opens secrets sealed under WEBHOOKS_ENCRYPTION_KEY_PREVIOUS, and seals only under the current key', () => {
    const old = box(1).seal('whsec_old');
    const rotated = box(2, 1);
    expect(rotated.open(old)).toBe('whsec_old');
    expect(rotated.isStale(old.keyId)).toBe(true);
    const resealed = rotated.seal('whsec_old');
    expect(resealed.keyId).toBe(box(2).keyId);
    expect(rotated.isStale(resealed.keyId)).toBe(false);
    expect(box(2).open(resealed)).toBe('whsec_old');
    expect(() => box(2).open(old)).toThrow(/WEBHOOKS_ENCRYPTION_KEY_PREVIOUS/);
  });
});
