import type { Command, OptionSpec } from './command.js';

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: '<url>',
    description: 'server URL (default: $ACME_WEBHOOKS_URL, else http://localhost:3000)',
  },
  'api-key': { type: 'string', value: '<key>', description: 'API key (default: $ACME_WEBHOOKS_API_KEY)' },
  json: { type: 'boolean', description: 'print JSON instead of tables' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

const OFFLINE_GLOBALS = ['json', 'help'];

function optionLines(options: Record<string, OptionSpec>): string[] {
  const labels = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...labels.map(([flag]) => flag.length));
  return labels.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

export function commandHelp(command: Command): string {
  const globals = command.offline
    ? Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([name]) => OFFLINE_GLOBALS.includes(name)))
    : GLOBAL_OPTIONS;
  const lines = [
    `Usage: acme-webhooks ${command.name} ${command.usage}`.trimEnd(),
    '',
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
  ];
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(globals));
  if (command.notes) lines.push('', command.notes);
  lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

function commandList(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  return `${[
    `Usage: acme-webhooks ${group} <${members.map((c) => c.name.slice(group.length + 1)).join('|')}> [options]`,
    '',
    'Commands:',
    ...commandList(members),
    '',
    `Run acme-webhooks ${group} <command> --help for its options and examples.`,
  ].join('\n')}\n`;
}

export function mainHelp(commands: readonly Command[]): string {
  return `${[
    'acme-webhooks: the command line for Acme Webhooks',
    '',
    'Usage: acme-webhooks <command> [options]',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment:',
    '  ACME_WEBHOOKS_URL      server URL (default http://localhost:3000)',
    '  ACME_WEBHOOKS_API_KEY  API key sent as Authorization: Bearer <key>',
    '',
    'Examples:',
    "  acme-webhooks endpoints create https://example.com/webhooks --events 'invoice.*'",
    '  acme-webhooks events send invoice.paid --data \'{"amount":4900}\'',
    '  acme-webhooks deliveries list --status dead',
    '  acme-webhooks tail',
    '',
    'Exit status: 0 success, 1 failure (one line on stderr says why), 2 bad usage.',
    "Run acme-webhooks <command> --help for a command's options and examples.",
  ].join('\n')}\n`;
}
