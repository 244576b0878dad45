// Gzipped size of each built ESM entry, alone and with the shared chunks it imports (what a consumer loads).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const [, spec] of readFileSync(join('dist', file), 'utf8').matchAll(/from\s*['"]\.\/([^'"]+)['"]/g)) {
    closure(spec, seen);
  }
  return seen;
}

for (const entry of ['index', 'fetch', 'express', 'koa']) {
  const alone = readFileSync(join('dist', `${entry}.js`));
  const all = Buffer.concat([...closure(`${entry}.js`)].map((f) => readFileSync(join('dist', f))));
  console.log(
    `dist/${entry}.js: ${gzipSync(alone).length} B gzipped alone, ${gzipSync(all).length} B gzipped with its chunks (${all.length} B raw)`,
  );
}
