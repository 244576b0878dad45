import { DataSource, Not } from 'typeorm';
import { SecretBox } from '../common/secret-box';
import { ConfigError, loadConfig, maskDatabaseUrl } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { runInTransaction } from '../database/transactions';
import { Endpoint } from './endpoint.entity';

/**
 * Finishes an encryption-key rotation: every endpoint secret (current and previous) sealed under
 * another key than WEBHOOKS_ENCRYPTION_KEY is opened (with WEBHOOKS_ENCRYPTION_KEY_PREVIOUS) and
 * sealed again under the current key. Each row is updated only if nobody re-sealed it meanwhile, so
 * running it beside live servers is safe. Returns how many endpoints were re-sealed.
 */
export async function resealEndpointSecrets(dataSource: DataSource, box: SecretBox): Promise<number> {
  const stale = await dataSource
    .getRepository(Endpoint)
    .find({ where: { secretKeyId: Not(box.keyId) }, order: { id: 'ASC' } });
  let resealed = 0;
  for (const endpoint of stale) {
    const oldKeyId = endpoint.secretKeyId;
    const current = box.seal(box.open({ keyId: oldKeyId, ciphertext: endpoint.secretCiphertext }));
    const previous = endpoint.previousSecretCiphertext
      ? box.seal(box.open({ keyId: oldKeyId, ciphertext: endpoint.previousSecretCiphertext }))
      : null;
    const result = await runInTransaction(dataSource, (manager) =>
      manager.update(
        Endpoint,
        { id: endpoint.id, secretKeyId: oldKeyId },
        {
          secretKeyId: current.keyId,
          secretCiphertext: current.ciphertext,
          previousSecretCiphertext: previous?.ciphertext ?? null,
        },
      ),
    );
    resealed += result.affected ?? 0;
  }
  return resealed;
}

/** `npm run reseal-secrets`: re-seal every endpoint secret under the current encryption key, then exit. */
async function main(): Promise<void> {
  try {
    const config = loadConfig(process.env);
    if (!config.encryptionKey)
      throw new ConfigError(['WEBHOOKS_ENCRYPTION_KEY must be set to re-seal secrets']);
    const dataSource = await new DataSource(dataSourceOptions(config.databaseUrl)).initialize();
    try {
      const count = await resealEndpointSecrets(dataSource, new SecretBox(config));
      console.log(`Re-sealed ${count} endpoint(s) in ${maskDatabaseUrl(config.databaseUrl)}.`);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(
      error instanceof ConfigError ? error.message : `Re-sealing failed: ${(error as Error).message}`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
