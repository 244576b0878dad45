import 'reflect-metadata';
import { ConfigError, loadConfig, maskDatabaseUrl } from './config/config';
import { ResolvedSecrets, resolveGeneratedSecrets } from './config/generated-secrets';
import { createHttpApp } from './http-app';

function banner(url: string, resolved: ResolvedSecrets): string {
  const { config } = resolved;
  const lines = [
    `Acme Webhooks listening on ${url}`,
    `  database  ${maskDatabaseUrl(config.databaseUrl)}`,
    `  role      ${config.role}`,
  ];
  if (resolved.apiKeyGenerated) {
    lines.push(`  admin key ${config.apiKey} (generated, saved in ${resolved.apiKeyFile})`);
  } else if (resolved.apiKeyFile) {
    lines.push(`  admin key in ${resolved.apiKeyFile}`);
  } else {
    lines.push('  admin key from WEBHOOKS_API_KEY');
  }
  if (resolved.encryptionKeyGenerated) {
    lines.push(
      `  encryption key generated in ${resolved.encryptionKeyFile} (set WEBHOOKS_ENCRYPTION_KEY in production)`,
    );
  }
  if (config.role !== 'worker') lines.push(`  docs      ${url}/docs`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let resolved: ResolvedSecrets;
  try {
    resolved = resolveGeneratedSecrets(loadConfig(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { config } = resolved;
  try {
    const app = await createHttpApp(config);
    app.enableShutdownHooks();
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    console.log(banner(`http://${host}:${port}`, resolved));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Plain stderr: Nest's logger is still buffering when start-up fails.
    console.error(`Could not start: ${message.split('\n')[0]}`);
    process.exit(1);
  }
}

void main();
