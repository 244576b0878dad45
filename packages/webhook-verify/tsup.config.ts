import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', express: 'src/express.ts', koa: 'src/koa.ts', fetch: 'src/fetch.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node18',
  treeshake: true,
  sourcemap: false,
  // Keep the node: prefix: Deno and Workers (nodejs_compat) resolve built-ins only with it.
  removeNodeProtocol: false,
});
