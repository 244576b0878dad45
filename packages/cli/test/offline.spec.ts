import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@acme/webhook-verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { expectOneLine, runBin } from './bin.js';

const SECRET = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUEtMDEyMzQ1Njc4OWFi';
const OTHER_SECRET = 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlcg==';
// The "valid-seed" vector of shared/vectors/signatures.json.
const VECTOR = {
  now: 1736771710,
  body: '{"id":"evt_9d3","type":"invoice.created","created_at":"2025-01-13T12:35:00.000Z","data":{"id":"inv_123","customer_id":"cus_123","amount_due":4900,"currency":"GBP"}}',
  headers: {
    'x-webhook-signature': 't=1736771700,v1=537b5df100abe945f072a7b326470125a8f9de12c6f9e86c089edc53c06730d3',
    'webhook-id': 'evt_9d3',
    'webhook-timestamp': '1736771700',
    'webhook-signature': 'v1,q2goj+We5OEtjxO+LOHQOoGmYlkvwu9NaPAo+Bqw2Hg=',
  },
};

let dir: string;
let payloadFile: string;
const payload = JSON.stringify({
  id: 'evt_cli1',
  type: 'invoice.paid',
  created_at: new Date().toISOString(),
  data: { amount: 4900 },
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'acme-cli-'));
  payloadFile = join(dir, 'event.json');
  writeFileSync(payloadFile, payload);
});

describe('--help', () => {
  it('lists every command', async () => {
    const { code, stdout, stderr } = await runBin(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command.name} `);
    expect(stdout).toContain('ACME_WEBHOOKS_API_KEY');
  });

  it.each(COMMANDS.map((c) => c.name))('"%s --help" shows usage, options and examples', async (name) => {
    const { code, stdout } = await runBin([...name.split(' '), '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: acme-webhooks ${name}`));
    expect(stdout).toContain('Examples:\n  acme-webhooks ');
    expect(stdout).toContain('--json');
  });

  it('a group alone shows its help and exits 0, as acme-webhooks alone does', async () => {
    const help = await runBin(['deliveries', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: acme-webhooks deliveries <list|get|attempts|retry>');
    const bare = await runBin(['deliveries']);
    expect(bare).toEqual({ ...bare, code: 0, stdout: help.stdout, stderr: '' });
    const top = await runBin([]);
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/^acme-webhooks: the command line/);
  });

  it('usage mistakes are one line and exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['endpoints', 'create', '--nope'],
      ['endpoints', 'get'],
      ['events', 'list', 'x'],
    ]) {
      const { code, stderr, stdout } = await runBin(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expectOneLine(stderr);
    }
  });

  it('tail refuses an --interval under 100ms before any request', async () => {
    for (const interval of ['0', '50ms']) {
      const { code, stdout, stderr } = await runBin([
        'tail',
        '--interval',
        interval,
        '--url',
        'http://127.0.0.1:9',
      ]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(expectOneLine(stderr)).toBe(
        `acme-webhooks: --interval must be at least 100ms, got "${interval}"`,
      );
    }
  });

  it('an unknown --status is refused before any request, by deliveries list and tail alike', async () => {
    for (const command of [['deliveries', 'list'], ['tail']]) {
      // Nothing listens on this port: a request would fail differently.
      const { code, stderr, stdout } = await runBin([
        ...command,
        '--status',
        'deadd',
        '--url',
        'http://127.0.0.1:9',
      ]);
      expect(code, command.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(expectOneLine(stderr)).toBe(
        'acme-webhooks: --status must be one of pending, retrying, succeeded, dead, cancelled; got "deadd"',
      );
    }
  });
});

describe('sign and verify (offline)', () => {
  it('round-trips: sign prints headers that verify accepts', async () => {
    const signed = await runBin(['sign', '--secret', SECRET, '--file', payloadFile]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^X-Webhook-Signature: t=\d+,v1=[0-9a-f]{64}\nwebhook-id: evt_cli1\n/);
    const headersFile = join(dir, 'headers.txt');
    writeFileSync(headersFile, signed.stdout);

    const verified = await runBin([
      'verify',
      '--secret',
      SECRET,
      '--file',
      payloadFile,
      '--headers',
      headersFile,
    ]);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toBe('valid: signature verified for evt_cli1 (invoice.paid)\n');
  });

  it('signs stdin with --json, several secrets and a fixed id and timestamp', async () => {
    const signed = await runBin(
      [
        'sign',
        '--secret',
        SECRET,
        '--secret',
        OTHER_SECRET,
        '--id',
        'msg_1',
        '--timestamp',
        '1736771700',
        '--json',
      ],
      { input: payload },
    );
    expect(signed.code).toBe(0);
    const headers = JSON.parse(signed.stdout);
    expect(headers).toEqual(
      sign({ payload, secret: [SECRET, OTHER_SECRET], id: 'msg_1', timestamp: 1736771700 }),
    );
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);

    // Either secret alone verifies it; headers given as a JSON file; payload on stdin.
    const headersFile = join(dir, 'headers.json');
    writeFileSync(headersFile, signed.stdout);
    const verified = await runBin(
      ['verify', '--secret', OTHER_SECRET, '--headers', headersFile, '--now', '1736771710', '--json'],
      { input: payload },
    );
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, event: { id: 'evt_cli1' } });
  });

  it('verifies the shared test vector with headers given as flags', async () => {
    const vectorFile = join(dir, 'vector.json');
    writeFileSync(vectorFile, VECTOR.body);
    const args = ['verify', '--secret', SECRET, '--file', vectorFile, '--now', String(VECTOR.now)];
    for (const [name, value] of Object.entries(VECTOR.headers)) args.push('--header', `${name}: ${value}`);
    const { code, stdout } = await runBin(args);
    expect(code).toBe(0);
    expect(stdout).toContain('evt_9d3 (invoice.created)');

    // Only the Standard Webhooks headers, with -H.
    const standard = await runBin([
      'verify',
      '--secret',
      SECRET,
      '--file',
      vectorFile,
      '--now',
      '2025-01-13T12:35:10Z',
      '-H',
      `webhook-id: ${VECTOR.headers['webhook-id']}`,
      '-H',
      `webhook-timestamp: ${VECTOR.headers['webhook-timestamp']}`,
      '-H',
      `webhook-signature: ${VECTOR.headers['webhook-signature']}`,
    ]);
    expect(standard.code).toBe(0);
  });

  /** verify arguments for one failure case; `headers` defaults to a fresh valid signature of `payload`. */
  const failures: Array<[string, () => string[], string]> = [
    [
      'a tampered payload',
      () => ['--secret', SECRET, '--file', join(dir, 'tampered.json'), ...signedHeaderFlags()],
      'signature_mismatch',
    ],
    [
      'the wrong secret',
      () => ['--secret', OTHER_SECRET, '--file', payloadFile, ...signedHeaderFlags()],
      'signature_mismatch',
    ],
    [
      'a signature from an hour ago',
      () => [
        '--secret',
        SECRET,
        '--file',
        payloadFile,
        '--now',
        String(Math.floor(Date.now() / 1000) + 3600),
        ...signedHeaderFlags(),
      ],
      'timestamp_outside_tolerance',
    ],
    [
      'no signature headers',
      () => ['--secret', SECRET, '--file', payloadFile, '--header', 'content-type: application/json'],
      'missing_signature_header',
    ],
    [
      'a malformed signature header',
      () => ['--secret', SECRET, '--file', payloadFile, '--header', 'X-Webhook-Signature: nonsense'],
      'invalid_signature_header',
    ],
  ];

  function signedHeaderFlags(): string[] {
    const headers = sign({ payload, secret: SECRET, id: 'evt_cli1' });
    return Object.entries(headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
  }

  it.each(failures)('fails with exit 1 and the code for %s', async (_, build, expectedCode) => {
    writeFileSync(join(dir, 'tampered.json'), payload.replace('4900', '1'));
    const args = ['verify', ...build()];
    const { code, stdout, stderr } = await runBin(args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(expectOneLine(stderr)).toMatch(new RegExp(`^acme-webhooks: invalid: ${expectedCode}: `));

    const json = await runBin([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, code: expectedCode });
  });

  it('--tolerance widens the accepted clock difference', async () => {
    const anHourLater = String(Math.floor(Date.now() / 1000) + 3600);
    const args = [
      'verify',
      '--secret',
      SECRET,
      '--file',
      payloadFile,
      '--now',
      anHourLater,
      ...signedHeaderFlags(),
    ];
    const wide = await runBin([...args, '--tolerance', '7200']);
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stdout).toContain('valid: signature verified for evt_cli1');
    const narrow = await runBin([...args, '--tolerance', '1800']);
    expect(narrow.code).toBe(1);
    expect(expectOneLine(narrow.stderr)).toMatch(/^acme-webhooks: invalid: timestamp_outside_tolerance: /);
  });

  it('refuses a --secret that is not "whsec_" + base64, naming the flag and never echoing the value', async () => {
    const cases: Array<[string[], string]> = [
      [['--secret', 'notasecret'], '--secret does not start with "whsec_"'],
      [['--secret', 'whsec_not base64!'], '--secret is not base64 after "whsec_"'],
      [['--secret', SECRET, '--secret', 'notasecret'], '--secret #2 does not start with "whsec_"'],
    ];
    for (const [secretFlags, reason] of cases) {
      for (const command of [
        ['sign', ...secretFlags, '--file', payloadFile],
        ['verify', ...secretFlags, '--file', payloadFile, ...signedHeaderFlags()],
      ]) {
        const { code, stdout, stderr } = await runBin(command);
        expect(code, command.join(' ')).toBe(2);
        expect(stdout).toBe('');
        const line = expectOneLine(stderr);
        expect(line).toBe(
          `acme-webhooks: ${reason}: give the endpoint's signing secret whole, "whsec_" + base64, as the API returned it`,
        );
        expect(line).not.toContain('notasecret');
      }
    }
  });

  it('explains what is missing', async () => {
    const noSecret = await runBin(['sign', '--file', payloadFile]);
    expect(noSecret.code).toBe(2);
    expect(expectOneLine(noSecret.stderr)).toContain('--secret is required');

    const noId = await runBin(['sign', '--secret', SECRET], { input: 'plain text body' });
    expect(noId.code).toBe(2);
    expect(expectOneLine(noId.stderr)).toContain('--id is required');

    const badSecret = await runBin(['sign', '--secret', 'not-a-secret', '--id', 'x'], { input: 'body' });
    expect(badSecret.code).toBe(2);
    expect(expectOneLine(badSecret.stderr)).toContain('whsec_');

    const noHeaders = await runBin(['verify', '--secret', SECRET, '--file', payloadFile]);
    expect(noHeaders.code).toBe(2);
    expect(expectOneLine(noHeaders.stderr)).toContain('no headers');

    const missingFile = await runBin(['sign', '--secret', SECRET, '--file', join(dir, 'nope.json')]);
    expect(missingFile.code).toBe(1);
    expect(expectOneLine(missingFile.stderr)).toContain('ENOENT');
  });
});

// CONTRACT §4: every verifier here passes every vector of shared/vectors/signatures.json (copied into
// the SDK's tests). `acme-webhooks verify` is one: exit 0 for the valid ones, 1 for the others, never
// a usage error (an empty headers file is a missing signature header, not a mistake).
describe('verify passes every signature vector', () => {
  const { vectors } = JSON.parse(
    readFileSync(new URL('../../webhook-verify/test/vectors/signatures.json', import.meta.url), 'utf8'),
  ) as {
    vectors: {
      name: string;
      valid: boolean;
      secrets: string[];
      now: number;
      tolerance_seconds: number;
      body: string;
      headers: Record<string, string>;
    }[];
  };

  it.each(vectors.map((vector) => [vector.name, vector] as const))('%s', async (name, vector) => {
    const bodyFile = join(dir, `vector-${name}.body`);
    const headersFile = join(dir, `vector-${name}.headers.json`);
    writeFileSync(bodyFile, vector.body);
    writeFileSync(headersFile, JSON.stringify(vector.headers));
    const { code, stderr } = await runBin([
      'verify',
      ...vector.secrets.flatMap((secret) => ['--secret', secret]),
      '--file',
      bodyFile,
      '--headers',
      headersFile,
      '--now',
      String(vector.now),
      '--tolerance',
      String(vector.tolerance_seconds),
    ]);
    expect(code, stderr).toBe(vector.valid ? 0 : 1);
  });
});
