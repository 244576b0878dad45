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
});
