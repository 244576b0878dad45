import { describe, expect, it } from 'vitest';
import { SecretBox } from '../common/secret-box';
import type { AppConfig } from '../config/config';
import { Endpoint } from './endpoint.entity';
import { EndpointSecrets } from './endpoint-secrets';

function setup() {
  const box = new SecretBox({ encryptionKey: Buffer.alloc(32, 1) } as AppConfig);
  let opens = 0;
  const open = box.open.bind(box);
  box.open = (sealed) => {
    opens++;
    return open(sealed);
  };
  const secrets = new EndpointSecrets(box);
  const endpoint = (current: string, previous?: { secret: string; expiresAt: Date }): Endpoint => {
    const sealed = secrets.seal(current);
    return {
      id: 'wh_1',
      secretKeyId: sealed.keyId,
      secretCiphertext: sealed.ciphertext,
      previousSecretCiphertext: previous ? secrets.seal(previous.secret).ciphertext : null,
      previousSecretExpiresAt: previous?.expiresAt ?? null,
    } as Endpoint;
  };
  return { secrets, endpoint, opens: () => opens };
}

describe('EndpointSecrets.activeSecrets (opened secrets are memoised)', () => {
  it('opens each sealed secret once, and a rotated secret (new ciphertext) afresh', () => {
    const { secrets, endpoint, opens } = setup();
    const now = new Date();
    const first = endpoint('whsec_first');
    expect(secrets.activeSecrets(first, now)).toEqual(['whsec_first']);
    expect(secrets.activeSecrets(first, now)).toEqual(['whsec_first']);
    expect(opens()).toBe(1);

    // Rotation: same endpoint id, new current secret, the old one in its grace period.
    const rotated = endpoint('whsec_second', {
      secret: 'whsec_first',
      expiresAt: new Date(now.getTime() + 1000),
    });
    expect(secrets.activeSecrets(rotated, now)).toEqual(['whsec_second', 'whsec_first']);
  });

  it('stops signing with the previous secret the moment its grace period ends', () => {
    const { secrets, endpoint } = setup();
    const now = new Date();
    const rotated = endpoint('whsec_new', { secret: 'whsec_old', expiresAt: new Date(now.getTime() + 1000) });
    expect(secrets.activeSecrets(rotated, now)).toEqual(['whsec_new', 'whsec_old']);
    expect(secrets.activeSecrets(rotated, new Date(now.getTime() + 1000))).toEqual(['whsec_new']);
    expect(secrets.activeSecrets({ ...rotated, previousSecretCiphertext: null }, now)).toEqual(['whsec_new']);
  });
});
