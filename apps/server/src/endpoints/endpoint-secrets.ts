import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/secret-box';
import { Endpoint } from './endpoint.entity';

/** Makes, seals and opens endpoint signing secrets (`whsec_` + base64 of 32 random bytes). */
@Injectable()
export class EndpointSecrets {
  constructor(private readonly box: SecretBox) {}

  generate(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }

  /** The sealed form and key id to store on the endpoint row. */
  seal(secret: string): { keyId: string; ciphertext: string } {
    return this.box.seal(secret);
  }

  current(endpoint: Endpoint): string {
    return this.box.open({ keyId: endpoint.secretKeyId, ciphertext: endpoint.secretCiphertext });
  }

  /** Secrets that sign a delivery now, newest first: the current one, and the previous one while its grace lasts. */
  activeSecrets(endpoint: Endpoint, now: Date): string[] {
    const secrets = [this.current(endpoint)];
    if (
      endpoint.previousSecretCiphertext &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt.getTime() > now.getTime()
    ) {
      secrets.push(
        this.box.open({ keyId: endpoint.secretKeyId, ciphertext: endpoint.previousSecretCiphertext }),
      );
    }
    return secrets;
  }
}
