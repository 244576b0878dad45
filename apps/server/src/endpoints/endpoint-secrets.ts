import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/secret-box';
import { Endpoint } from './endpoint.entity';

/** Opened secrets kept in memory, at most (the oldest is dropped first). */
const MAX_OPENED = 1024;

/**
 * Makes, seals and opens endpoint signing secrets (`whsec_` + base64 of 32 random bytes).
 *
 * Opening (AES-GCM) is memoised per sealed value: the cache key is the key id AND the ciphertext, so
 * a rotated secret (new ciphertext) or a re-sealed one (new key id) is opened afresh, and nothing
 * stale can ever sign. Whether the previous secret still signs is decided on every call from
 * `previous_secret_expires_at`, never cached.
 */
@Injectable()
export class EndpointSecrets {
  private readonly opened = new Map<string, string>();

  constructor(private readonly box: SecretBox) {}

  generate(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }

  /** The sealed form and key id to store on the endpoint row. */
  seal(secret: string): { keyId: string; ciphertext: string } {
    return this.box.seal(secret);
  }

  current(endpoint: Endpoint): string {
    return this.open(endpoint.secretKeyId, endpoint.secretCiphertext);
  }

  private open(keyId: string, ciphertext: string): string {
    const cacheKey = `${keyId}:${ciphertext}`;
    let secret = this.opened.get(cacheKey);
    if (secret === undefined) {
      secret = this.box.open({ keyId, ciphertext });
      if (this.opened.size >= MAX_OPENED) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(cacheKey, secret);
    }
    return secret;
  }

  /** Secrets that sign a delivery now, newest first: the current one, and the previous one while its grace lasts. */
  activeSecrets(endpoint: Endpoint, now: Date): string[] {
    const secrets = [this.current(endpoint)];
    if (
      endpoint.previousSecretCiphertext &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt.getTime() > now.getTime()
    ) {
      secrets.push(this.open(endpoint.secretKeyId, endpoint.previousSecretCiphertext));
    }
    return secrets;
  }
}
