import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiKey } from '../auth/key-hash';
import { AppConfig, ConfigError } from './config';

export interface ResolvedSecrets {
  config: AppConfig;
  /** Where the admin key lives when it was not given in the environment. */
  apiKeyFile?: string;
  /** True when the admin key was created just now (the banner prints it once). */
  apiKeyGenerated: boolean;
  encryptionKeyFile?: string;
  encryptionKeyGenerated: boolean;
}

function readOrCreate(file: string, create: () => string): { value: string; created: boolean } {
  try {
    return { value: readFileSync(file, 'utf8').trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = create();
  try {
    // `wx`: never overwrite a key another process created a moment ago.
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { value, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: readFileSync(file, 'utf8').trim(), created: false };
  }
}

/**
 * Fills in the admin API key and (outside production) the encryption key when the environment does
 * not give them: read from the data folder, or generated there on first start (mode 0600) and
 * reused after. Throws ConfigError (one line) when a stored key is unreadable or malformed.
 */
export function resolveGeneratedSecrets(config: AppConfig): ResolvedSecrets {
  const resolved: ResolvedSecrets = {
    config: { ...config },
    apiKeyGenerated: false,
    encryptionKeyGenerated: false,
  };
  if (config.apiKey !== undefined && config.encryptionKey !== undefined) return resolved;
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    if (config.apiKey === undefined) {
      const file = join(config.dataDir, 'admin-api-key');
      const { value, created } = readOrCreate(file, generateApiKey);
      if (value.length < 16)
        throw new ConfigError([`${file} does not hold an API key; delete it to generate a new one`]);
      Object.assign(resolved, { apiKeyFile: file, apiKeyGenerated: created });
      resolved.config.apiKey = value;
    }
    if (config.encryptionKey === undefined) {
      if (config.production)
        throw new ConfigError(['WEBHOOKS_ENCRYPTION_KEY is required when NODE_ENV=production']);
      const file = join(config.dataDir, 'encryption-key');
      const { value, created } = readOrCreate(file, () => randomBytes(32).toString('base64'));
      const key = Buffer.from(value, 'base64');
      if (key.length !== 32) throw new ConfigError([`${file} does not hold a 32-byte base64 key`]);
      Object.assign(resolved, { encryptionKeyFile: file, encryptionKeyGenerated: created });
      resolved.config.encryptionKey = key;
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([`the data folder ${config.dataDir} is not usable: ${(error as Error).message}`]);
  }
  return resolved;
}
