#!/usr/bin/env node
// npm links bins at install time, before dist/ is built, and links nothing for a missing target:
// so the bin is this checked-in file, which loads the build.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('acme-webhooks: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
