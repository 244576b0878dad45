import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhookVerificationError as SourceError } from '../src/index.js';
import { checkVector, SECRET_A, vectors } from './support.js';

// What consumers get: the built package, loaded the way a CommonJS app (like the NestJS server) loads it.
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const require = createRequire(import.meta.url);
type Index = typeof import('../src/index.js');
type Fetch = typeof import('../src/fetch.js');
let cjs: Index;
let cjsFetch: Fetch;

beforeAll(() => {
  if (!existsSync(join(dist, 'index.cjs'))) {
    throw new Error(
      'dist/index.cjs is missing: run `npm run build -w @acme/webhook-verify` first ' +
        "(turbo's test task builds before testing; a bare `vitest run` does not).",
    );
  }
  cjs = require(join(dist, 'index.cjs'));
  cjsFetch = require(join(dist, 'fetch.cjs'));
});

describe('the CommonJS build', () => {
  it.each(vectors.map((v) => [v.name, v] as const))(
    'passes vector %s (sync and async)',
    async (_n, vector) => {
      for (const verifier of [cjs.verify, cjs.verifyAsync]) {
        const result = await checkVector(verifier, vector, (e) => e instanceof cjs.WebhookVerificationError);
        if (result) expect(result.event).toEqual(result.expected);
      }
    },
  );

  it('signs what it verifies', () => {
    const body = '{"id":"evt_1"}';
    const headers = cjs.sign({ payload: body, secret: SECRET_A, id: 'evt_1' });
    expect(cjs.verify(body, headers, SECRET_A)).toEqual({ id: 'evt_1' });
  });

  it('exports the middlewares', () => {
    expect(typeof require(join(dist, 'express.cjs')).webhookMiddleware).toBe('function');
    expect(typeof require(join(dist, 'koa.cjs')).webhookMiddleware).toBe('function');
  });

  it('keeps instanceof working across entry points and module formats', async () => {
    const request = new Request('https://example.test', { method: 'POST', body: '{}' });
    const error = await cjsFetch.verifyRequest(request, SECRET_A).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cjs.WebhookVerificationError);
    expect(error).toBeInstanceOf(cjsFetch.WebhookVerificationError);
    expect(error).toBeInstanceOf(SourceError);
    expect(new Error('x')).not.toBeInstanceOf(cjs.WebhookVerificationError);
  });
});

describe('the ESM build', () => {
  it('passes every vector', async () => {
    const esm: Index = await import(join(dist, 'index.js'));
    for (const vector of vectors) {
      await checkVector(esm.verify, vector, (e) => e instanceof esm.WebhookVerificationError);
      await checkVector(esm.verifyAsync, vector, (e) => e instanceof esm.WebhookVerificationError);
    }
  });

  it('/fetch reaches no node: module, so edge runtimes can load it', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, specifier] of readFileSync(join(dist, file), 'utf8').matchAll(
        /from\s*['"]([^'"]+)['"]/g,
      )) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\//);
        visit(specifier!.slice(2));
      }
    };
    visit('fetch.js');
    expect(seen.size).toBeGreaterThan(1);
  });
});
