import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withRetryTable } from './retry-table';

/** `node dist/dispatch/write-retry-table.js [docs/delivery.md]`: regenerates the retry table in place. */
function main(): void {
  const file = resolve(process.argv[2] ?? resolve(__dirname, '../../../../docs/delivery.md'));
  const before = readFileSync(file, 'utf8');
  const after = withRetryTable(before);
  if (after !== before) writeFileSync(file, after);
  console.log(`${after === before ? 'unchanged' : 'updated'}: ${file}`);
}

main();
