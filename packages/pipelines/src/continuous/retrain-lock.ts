import { createHash } from 'node:crypto';
import type { Store } from '@mlops/core';

/** A held retrain lock: release it once the retraining is over (idempotent). */
export interface RetrainLock {
  /** `'advisory'`: a PostgreSQL advisory lock (fleet-wide); `'process'`: this process only (PGlite). */
  readonly kind: 'advisory' | 'process';
  /**
   * Resolves once the lock is released; rejects if it was lost first (PostgreSQL: its connection dropped, so another
   * process may take it). A held lock pings its connection every `pingIntervalMs` to notice a loss.
   */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/**
 * The advisory lock key of a model alias: the first 8 bytes of `sha256("mlops.retrain:<model>@<alias>")` as a signed
 * 64-bit integer (one key space with PostgreSQL's other advisory locks; a collision only serialises two retrainings).
 */
export function retrainLockKey(model: string, alias: string): string {
  return createHash('sha256').update(`mlops.retrain:${model}@${alias}`).digest().readBigInt64BE(0).toString();
}

// Locks held by this process, per store object and model alias.
const held = new WeakMap<object, Set<string>>();

/**
 * Takes the one-retraining-at-a-time lock of a model alias, or answers undefined when someone holds it.
 *
 * - On PostgreSQL: `pg_try_advisory_xact_lock(key)` on a dedicated pooled connection, inside a transaction that stays
 *   open (idle, holding nothing else) until {@link RetrainLock.release}: every process and replica on the database
 *   sees it, and PostgreSQL drops it by itself when the holder dies (its connection closes), so a crashed retraining
 *   never blocks the next one. The transaction-scoped form is used because a session lock left behind by an error
 *   would go back to the pool with the connection.
 * - On PGlite (one process owns the store): a lock in this process.
 *
 * Within one process the lock is also kept in memory, so a second attempt never waits on the database.
 */
export async function acquireRetrainLock(
  store: Store,
  model: string,
  alias: string,
  options: { pingIntervalMs?: number } = {},
): Promise<RetrainLock | undefined> {
  const pingMs = options.pingIntervalMs ?? 5000;
  const root: object = store;
  const name = `${model}@${alias}`;
  let mine = held.get(root);
  if (!mine) {
    mine = new Set();
    held.set(root, mine);
  }
  if (mine.has(name)) return undefined;
  mine.add(name);
  const forget = () => mine.delete(name);
  if (store.driver !== 'postgres') {
    let release!: () => void;
    const lost = new Promise<void>((r) => {
      release = r;
    });
    return {
      kind: 'process',
      lost,
      release: async () => {
        forget();
        release();
      },
    };
  }
  let acquired!: (ok: boolean) => void;
  let failed!: (err: unknown) => void;
  const outcome = new Promise<boolean>((resolve, reject) => {
    acquired = resolve;
    failed = reject;
  });
  let end!: () => void;
  const ended = new Promise<void>((r) => {
    end = r;
  });
  const key = retrainLockKey(model, alias);
  const held$ = store
    .transaction(async (tx) => {
      const [row] = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [key]);
      acquired(row?.ok === true);
      if (row?.ok !== true) return;
      // Idle in transaction until released, with a ping now and then: an idle client never hears that its connection
      // was lost (a restart, a killed backend), and a query keeps idle-in-transaction timeouts away.
      let done = false;
      void ended.then(() => {
        done = true;
      });
      while (!done) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, pingMs)))]);
        clearTimeout(timer);
        if (!done) await tx.query('SELECT 1');
      }
    })
    .finally(forget);
  held$.catch((err: unknown) => failed(err));
  let ok: boolean;
  try {
    ok = await outcome;
  } catch (err) {
    forget();
    throw err;
  }
  if (!ok) {
    await held$.catch(() => undefined);
    return undefined;
  }
  return {
    kind: 'advisory',
    lost: held$,
    release: async () => {
      end();
      await held$.catch(() => undefined);
    },
  };
}
