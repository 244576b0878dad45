import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config';
import { SecretBox } from './secret-box';

function box(fill: number): SecretBox {
  return new SecretBox({ encryptionKey: Buffer.alloc(32, fill) } as AppConfig);
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
});
