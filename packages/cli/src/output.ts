export interface Writer {
  write(chunk: string): unknown;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/** `2025-01-13T12:35:00.000Z` → `2025-01-13 12:35:00Z`: readable in a table, still unambiguous. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s+/g, ' ');
}

function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.map((v) => fieldText(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** An API time (`2025-01-13T12:35:00.000Z`), whatever its field is called (`created_at`, `since`). */
const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/** A resource as aligned `field  value` lines, in the order of `fields` (default: all). */
function renderRecord(record: object, fields?: readonly string[]): string {
  const entries = Object.entries(record as Record<string, unknown>);
  const shown = fields
    ? fields.filter((f) => f in record).map((f) => [f, (record as Record<string, unknown>)[f]])
    : entries;
  const width = Math.max(...shown.map(([field]) => String(field).length));
  return shown
    .map(([field, value]) => {
      const text = typeof value === 'string' && API_TIME.test(value) ? formatTime(value) : fieldText(value);
      return `${String(field).padEnd(width)}  ${text}`;
    })
    .join('\n');
}

/** Where a command writes: JSON for machines (`--json`), text for people. */
export class Output {
  constructor(
    private readonly stdout: Writer,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints `value` as JSON in --json mode, else calls `human`. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.printJson(value);
    else human();
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    this.line(rows.length === 0 ? empty : renderTable(rows, columns));
  }

  record(record: object, fields?: readonly string[]): void {
    this.line(renderRecord(record, fields));
  }
}
