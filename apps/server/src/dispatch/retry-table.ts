import { formatDuration } from '../common/duration';
import { DEFAULT_RETRY_SCHEDULE, RETRY_JITTER, RetrySchedule } from './retry-schedule';

const RETRY_TABLE_START = '<!-- retry-table:start (generated from DEFAULT_RETRY_SCHEDULE; do not edit) -->';
const RETRY_TABLE_END = '<!-- retry-table:end -->';

/** `93784000` → `1 d 2 h 3 min 4 s`: cumulative times read better spelled out than as `93784s`. */
export function spellDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}`);
    rest -= count * size;
  }
  return parts.length > 0 ? parts.join(' ') : '0 s';
}

/** The Markdown table of a retry schedule: each attempt, the delay before it, and the time since the first. */
export function renderRetryTable(schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): string {
  const jitter = `±${Math.round(RETRY_JITTER * 100)} %`;
  const rows = [
    '| attempt | waits after the previous one | (with jitter) | time since the first attempt |',
    '|---|---|---|---|',
  ];
  rows.push('| 1 | none: as soon as the event is published | | 0 |');
  let total = 0;
  schedule.forEach((delay, index) => {
    total += delay;
    const low = spellDuration(Math.round(delay * (1 - RETRY_JITTER)));
    const high = spellDuration(Math.round(delay * (1 + RETRY_JITTER)));
    rows.push(
      `| ${index + 2} (retry ${index + 1}) | ${formatDuration(delay)} | ${low} – ${high} | ${spellDuration(total)} |`,
    );
  });
  const last = schedule.length + 1;
  rows.push('');
  rows.push(
    `${last} attempt${last === 1 ? '' : 's'} in all; after attempt ${last} fails the delivery is \`dead\`, about ${spellDuration(total)} ` +
      `(${jitter}) after it was first tried.`,
  );
  return rows.join('\n');
}

/** Replaces the generated block of a Markdown document with the current table. */
export function withRetryTable(markdown: string, schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): string {
  const start = markdown.indexOf(RETRY_TABLE_START);
  const end = markdown.indexOf(RETRY_TABLE_END);
  if (start < 0 || end < start) throw new Error('the retry-table markers are missing');
  return `${markdown.slice(0, start + RETRY_TABLE_START.length)}\n${renderRetryTable(schedule)}\n${markdown.slice(end)}`;
}
