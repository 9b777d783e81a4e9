/** Parses PostgreSQL int8 text the same way on both drivers: a number when exact, else the decimal string. */
export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** The `int8` type OID. */
export const INT8_OID = 20;

/** Quotes an SQL identifier (channel, schema). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
