/** Column types a CSV can be loaded as, with the PostgreSQL type each becomes. */
export const CSV_COLUMN_TYPES = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  numeric: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamptz: 'timestamptz',
} as const;

/** One of the keys of {@link CSV_COLUMN_TYPES}. */
export type CsvColumnType = keyof typeof CSV_COLUMN_TYPES;

/** A parsed cell: the text PostgreSQL casts, null, or a reason the cell does not fit its type. */
export type CellResult = { ok: true; value: string | null } | { ok: false; reason: string };

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i;
const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);
const INT4_MAX = 2_147_483_647n;
const INT8_MAX = 9_223_372_036_854_775_807n;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function validTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  if (!m || !validDate(m[1]!)) return false;
  const [h, mi, sec, oh, om] = [m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? 0 : Number(x)));
  return h! <= 23 && mi! <= 59 && sec! <= 59 && oh! <= 15 && om! <= 59;
}

function inRange(text: string, max: bigint): boolean {
  const v = BigInt(text);
  return v <= max && v >= -max - 1n;
}

/**
 * Parses one CSV cell as `type`. Empty cells are NULL for every type but `text` (which keeps `''`), unless the column
 * is not nullable. Values are checked in JavaScript so a bad cell quarantines its row instead of failing a batch.
 */
export function parseCsvCell(raw: string, type: CsvColumnType, nullable = true): CellResult {
  const text = type === 'text' ? raw : raw.trim();
  if (type !== 'text' && text.includes('\0')) return { ok: false, reason: 'contains a NUL character' };
  if (text === '' && type !== 'text') {
    return nullable ? { ok: true, value: null } : { ok: false, reason: 'is empty but the column is not nullable' };
  }
  switch (type) {
    case 'text':
      return raw.includes('\0') ? { ok: false, reason: 'contains a NUL character' } : { ok: true, value: raw };
    case 'integer':
    case 'bigint':
      if (!INT.test(text)) return { ok: false, reason: `${JSON.stringify(short(raw))} is not an integer` };
      if (!inRange(text, type === 'integer' ? INT4_MAX : INT8_MAX)) {
        return { ok: false, reason: `${JSON.stringify(short(raw))} is out of range for ${type}` };
      }
      return { ok: true, value: text };
    case 'double':
    case 'numeric':
      if (!DECIMAL.test(text)) return { ok: false, reason: `${JSON.stringify(short(raw))} is not a number` };
      if (type === 'double' && !Number.isFinite(Number(text))) {
        return { ok: false, reason: `${JSON.stringify(short(raw))} is out of range for double` };
      }
      return { ok: true, value: text };
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: 'true' };
      if (FALSE.has(lower)) return { ok: true, value: 'false' };
      return { ok: false, reason: `${JSON.stringify(short(raw))} is not a boolean` };
    }
    case 'date':
      return validDate(text)
        ? { ok: true, value: text }
        : { ok: false, reason: `${JSON.stringify(short(raw))} is not a date (YYYY-MM-DD)` };
    case 'timestamptz':
      if (validTimestamp(text)) return { ok: true, value: text };
      return { ok: false, reason: `${JSON.stringify(short(raw))} is not an ISO-8601 timestamp` };
  }
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

const INFERENCE_ORDER: CsvColumnType[] = ['boolean', 'integer', 'bigint', 'double', 'date', 'timestamptz'];

/**
 * Infers a column's type from sample cells: the first of boolean (true/false/yes/no, not 0/1), integer, bigint,
 * double, date, timestamptz that every non-empty cell parses as; otherwise (or when all are empty) text.
 */
export function inferCsvColumnType(samples: readonly string[]): CsvColumnType {
  const present = samples.filter((s) => s.trim() !== '');
  if (present.length === 0) return 'text';
  for (const type of INFERENCE_ORDER) {
    if (type === 'boolean' && present.some((s) => /^[01]$/.test(s.trim()))) continue;
    if (present.every((s) => parseCsvCell(s, type).ok)) return type;
  }
  return 'text';
}

/** Turns a CSV header into a column name: trimmed, lower-case, runs of other characters as `_` (`Topic group` → `topic_group`). */
export function normalizeHeader(header: string): string {
  const out = header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(out) ? `_${out}` : out;
}
