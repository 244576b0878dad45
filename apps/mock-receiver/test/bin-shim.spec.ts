import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('acme-mock-receiver bin: the checked-in shim npm links at install', () => {
  const shim = fileURLToPath(new URL('../bin/acme-mock-receiver.js', import.meta.url));

  it('is the package bin, executable, and runs the build', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(manifest.bin).toEqual({ 'acme-mock-receiver': './bin/acme-mock-receiver.js' });
    expect(statSync(shim).mode & 0o111).toBe(0o111);
    const result = spawnSync(process.execPath, [shim, '--help'], { encoding: 'utf8', timeout: 5000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: acme-mock-receiver');
  });

  it('says in one line to build first when dist/ is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'mock-receiver-unbuilt-'));
    try {
      writeFileSync(join(root, 'package.json'), '{"type":"module"}');
      mkdirSync(join(root, 'bin'));
      copyFileSync(shim, join(root, 'bin/acme-mock-receiver.js'));
      const result = spawnSync(process.execPath, [join(root, 'bin/acme-mock-receiver.js'), '--help'], {
        encoding: 'utf8',
        timeout: 5000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('acme-mock-receiver: not built yet; run `npm run build` first\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
