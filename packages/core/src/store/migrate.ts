import { createHash } from 'node:crypto';
import { MlopsError } from '../errors.js';
import { rootStore } from './_shared.js';
import type { Migration, Store } from './store.js';

const NAMESPACE_RE = /^[a-z][a-z0-9_.-]{0,62}$/;

// One advisory lock for every namespace: migrations are rare and short, and a single lock also protects the
// `CREATE TABLE IF NOT EXISTS core_migrations`, which is not safe to race on PostgreSQL.
const MIGRATION_LOCK_KEY = 'mlops.migrate';

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

function validate(namespace: string, migrations: readonly Migration[]): void {
  if (!NAMESPACE_RE.test(namespace)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `Invalid migration namespace "${namespace}"`,
      details: [{ path: 'namespace', message: `must match ${NAMESPACE_RE}` }],
    });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MlopsError('INVALID_INPUT', {
        message: `Migrations of "${namespace}" must be numbered 1, 2, 3… in order; found version ${m.version} at position ${i + 1}`,
        details: [{ path: `migrations.${i}.version`, message: `expected ${i + 1}` }],
      });
    }
  });
}

/**
 * Applies the pending migrations of one namespace in a single transaction, under a database-wide advisory lock, so
 * that two processes opening the same PostgreSQL database at once apply each migration exactly once. An applied
 * migration whose SQL has since changed is refused (`MIGRATION_FAILED`), as Flyway does.
 */
export async function runMigrations(store: Store, namespace: string, migrations: readonly Migration[]): Promise<void> {
  validate(namespace, migrations);
  await store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS core_migrations (
      namespace text NOT NULL,
      version integer NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (namespace, version)
    )`);
    const applied = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM core_migrations WHERE namespace = $1 ORDER BY version',
      [namespace],
    );
    const newest = migrations.length;
    const unknown = applied.filter((r) => Number(r.version) > newest);
    if (unknown.length > 0) {
      throw new MlopsError('MIGRATION_FAILED', {
        message: `The database has migration ${namespace}#${unknown[0]!.version} ("${unknown[0]!.name}"), newer than this code knows (${newest}); upgrade the package`,
        details: { namespace, version: Number(unknown[0]!.version) },
      });
    }
    const byVersion = new Map(applied.map((r) => [Number(r.version), r]));
    for (const m of migrations) {
      const done = byVersion.get(m.version);
      if (done) {
        if (done.checksum !== checksum(m.sql)) {
          throw new MlopsError('MIGRATION_FAILED', {
            message: `Migration ${namespace}#${m.version} ("${m.name}") was changed after it was applied; add a new migration instead`,
            details: { namespace, version: m.version },
          });
        }
        continue;
      }
      try {
        await tx.exec(m.sql);
      } catch (cause) {
        throw new MlopsError('MIGRATION_FAILED', {
          message: `Migration ${namespace}#${m.version} ("${m.name}") failed: ${(cause as Error).message}`,
          cause,
          details: { namespace, version: m.version },
        });
      }
      await tx.query('INSERT INTO core_migrations (namespace, version, name, checksum) VALUES ($1, $2, $3, $4)', [
        namespace,
        m.version,
        m.name,
        checksum(m.sql),
      ]);
    }
  });
}

const ensured = new WeakMap<object, Set<string>>();

/**
 * Runs {@link runMigrations} for a namespace once per store (per root store: calls made with a transaction-scoped
 * store count for the store it came from), so modules can call it at the top of every operation.
 */
export async function ensureMigrated(store: Store, namespace: string, migrations: readonly Migration[]): Promise<void> {
  const root = rootStore(store);
  if (ensured.get(root)?.has(namespace)) return;
  await store.migrate(namespace, migrations);
  const done = ensured.get(root) ?? new Set<string>();
  done.add(namespace);
  ensured.set(root, done);
}
