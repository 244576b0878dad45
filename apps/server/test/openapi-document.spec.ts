import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server';

/** docs/openapi.json is the published reference: it must be what the server serves. */
describe('docs/openapi.json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ database: 'sqlite' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('matches the document the server serves at /openapi.json (run `npm run docs` after changing the API)', async () => {
    const served = await (await fetch(`${server.url}/openapi.json`)).json();
    const committed = JSON.parse(readFileSync(resolve(__dirname, '../../../docs/openapi.json'), 'utf8'));
    expect(committed).toEqual(served);
  });

  it('documents the 429 of every authenticated operation, with Retry-After, and the public /metrics', async () => {
    type Operation = { responses: Record<string, { headers?: object; content?: object }> };
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    const authenticated = operations.filter(({ operation }) => '401' in operation.responses);
    expect(authenticated.length).toBeGreaterThan(15);
    for (const { path, method, operation } of authenticated) {
      expect(operation.responses['429']?.headers, `${method} ${path}`).toHaveProperty('Retry-After');
    }
    expect(document.paths['/metrics']?.get?.responses['200']?.content).toHaveProperty('text/plain');
  });
});
