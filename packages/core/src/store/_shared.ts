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

const STORE_ROOT = Symbol.for('mlops.store.root');

/** Marks `tx` (a transaction-scoped store) as belonging to `root`, so per-store caches can key on the root. */
export function linkToRoot<T extends object>(tx: T, root: object): T {
  Object.defineProperty(tx, STORE_ROOT, { value: root, enumerable: false });
  return tx;
}

/** The store a transaction-scoped store came from (or the store itself). */
export function rootStore<T extends object>(store: T): T {
  return ((store as Record<symbol, unknown>)[STORE_ROOT] as T | undefined) ?? store;
}
