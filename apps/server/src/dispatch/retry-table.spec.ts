import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRetryTable, spellDuration, withRetryTable } from './retry-table';

const DOC = resolve(__dirname, '../../../../docs/delivery.md');

describe('spellDuration', () => {
  it.each([
    [0, '0 s'],
    [5_000, '5 s'],
    [65_000, '1 min 5 s'],
    [93_784_000, '1 d 2 h 3 min 4 s'],
    [1_500, '1 s 500 ms'],
  ])('%i → %s', (ms, text) => {
    expect(spellDuration(ms)).toBe(text);
  });
});

describe('renderRetryTable', () => {
  it('lists each retry with its delay, jitter window and cumulative time', () => {
    const table = renderRetryTable([5_000, 60_000]);
    expect(table).toContain('| 2 (retry 1) | 5s | 4 s – 6 s | 5 s |');
    expect(table).toContain('| 3 (retry 2) | 1m | 48 s – 1 min 12 s | 1 min 5 s |');
    expect(table).toContain('3 attempts in all');
  });

  it('handles no retries', () => {
    expect(renderRetryTable([])).toContain('1 attempt in all; after attempt 1 fails');
  });
});

describe('docs/delivery.md', () => {
  it('holds the table generated from the default schedule (UPDATE_DOCS=1 rewrites it)', () => {
    const current = readFileSync(DOC, 'utf8');
    const expected = withRetryTable(current);
    if (process.env.UPDATE_DOCS === '1' && current !== expected) writeFileSync(DOC, expected);
    else expect(current, 'run UPDATE_DOCS=1 npx vitest run src/dispatch/retry-table.spec.ts').toBe(expected);
  });
});
