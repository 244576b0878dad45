import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/config';
import { createHttpApp } from '../http-app';
import { buildOpenApiDocument } from './openapi';

/** `npm run docs`: writes docs/openapi.json from the routes, on a throwaway in-memory database. */
async function main(): Promise<void> {
  const config = {
    ...loadConfig({}),
    databaseUrl: 'sqlite::memory:',
    role: 'all' as const,
    apiKey: 'openapi-document-only-key',
    encryptionKey: randomBytes(32),
  };
  const app = await createHttpApp(config, { logger: false });
  await app.init();
  const target = resolve(__dirname, '../../../../docs/openapi.json');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  await app.close();
  console.log(`Wrote ${target}`);
}

main().catch((error: Error) => {
  console.error(`Could not write the OpenAPI document: ${error.message}`);
  process.exit(1);
});
