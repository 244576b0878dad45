import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

export interface SealedSecret {
  /** Which encryption key sealed it: the first 16 hex digits of the key's SHA-256. */
  keyId: string;
  /** `v1.<iv>.<tag>.<ciphertext>`, each base64url. */
  ciphertext: string;
}

/** Derives the public id of an encryption key; stored beside each ciphertext so keys can be rotated. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM with WEBHOOKS_ENCRYPTION_KEY, for secrets at rest. Never logs what it handles.
 * WEBHOOKS_ENCRYPTION_KEY_PREVIOUS, when set, only opens secrets sealed before a key rotation.
 */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;
  /** Every key that may open a secret, by id: the current one and, during a rotation, the previous one. */
  private readonly openers = new Map<string, Buffer>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.encryptionKey) throw new Error('the encryption key was not resolved before start-up');
    this.key = config.encryptionKey;
    this.keyId = encryptionKeyId(this.key);
    if (config.previousEncryptionKey) {
      this.openers.set(encryptionKeyId(config.previousEncryptionKey), config.previousEncryptionKey);
    }
    this.openers.set(this.keyId, this.key);
  }

  /** Whether a secret sealed under `keyId` should be re-sealed under the current key. */
  isStale(keyId: string): boolean {
    return keyId !== this.keyId;
  }

  seal(plaintext: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'));
    return { keyId: this.keyId, ciphertext: `v1.${parts.join('.')}` };
  }

  open(sealed: SealedSecret): string {
    const key = this.openers.get(sealed.keyId);
    if (!key) {
      throw new Error(
        `secret was sealed with encryption key ${sealed.keyId}, but the configured key is ${this.keyId}` +
          ' (set the old key as WEBHOOKS_ENCRYPTION_KEY_PREVIOUS)',
      );
    }
    const [version, iv, tag, body] = sealed.ciphertext.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('malformed sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
