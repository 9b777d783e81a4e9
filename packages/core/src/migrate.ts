import { AUTH_MIGRATIONS } from './auth/migrations.js';
import { DATASETS_MIGRATIONS } from './datasets/migrations.js';
import { OBJECTS_MIGRATIONS } from './objects/migrations.js';
import { PREDICTIONS_MIGRATIONS } from './predictions/migrations.js';
import { RETRAIN_DECISIONS_MIGRATIONS } from './retrain-decisions/migrations.js';
import { ensureMigrated } from './store/migrate.js';
import type { Migration, Store } from './store/store.js';
import { TRACKING_MIGRATIONS } from './tracking/migrations.js';
import { invalidInput } from './validation.js';

// Each area keeps its SQL beside its code (`<area>/migrations.ts`); this table only names them. The namespaces are
// those recorded in `core_migrations` by earlier versions, so they never change.
const AREAS = {
  auth: { namespace: 'core.auth', migrations: AUTH_MIGRATIONS },
  'dataset-versions': { namespace: 'core.datasets', migrations: DATASETS_MIGRATIONS },
  objects: { namespace: 'core.objects', migrations: OBJECTS_MIGRATIONS },
  predictions: { namespace: 'core.predictions', migrations: PREDICTIONS_MIGRATIONS },
  'retrain-decisions': { namespace: 'core.retrain-decisions', migrations: RETRAIN_DECISIONS_MIGRATIONS },
  tracking: { namespace: 'core.tracking', migrations: TRACKING_MIGRATIONS },
} as const satisfies Record<string, { namespace: string; migrations: readonly Migration[] }>;

/** An area of `@mlops/core` that keeps tables in the store; named like its entry point (`@mlops/core/<area>`). */
export type CoreArea = keyof typeof AREAS;

/** Every {@link CoreArea}, in the order {@link migrate} applies them. */
export const CORE_AREAS = Object.keys(AREAS) as readonly CoreArea[];

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The areas whose tables to create or upgrade; every area of core by default. */
  areas?: readonly CoreArea[];
}

/**
 * Creates or upgrades the tables of `@mlops/core` in a store: every area, or the `areas` named. Safe to call at every
 * start and from several processes at once (each area's migrations are applied once, under a database-wide lock), and
 * cheap after the first call on a store object. Each operation of core also migrates the tables it needs on first
 * use, so calling this is only required to prepare a database ahead of time (a deploy step, a read-only role).
 *
 * @example
 * const store = await createStore(process.env.MLOPS_STORE);
 * await migrate(store); // every area
 * await migrate(store, { areas: ['predictions'] }); // the prediction log only
 */
export async function migrate(store: Store, options: MigrateOptions = {}): Promise<void> {
  const areas = options.areas ?? CORE_AREAS;
  const unknown = areas.flatMap((area, i) =>
    Object.hasOwn(AREAS, area) ? [] : [{ path: `areas.${i}`, message: `expected one of ${CORE_AREAS.join(', ')}` }],
  );
  if (unknown.length > 0) throw invalidInput('invalid migrate options', unknown);
  for (const area of areas) {
    const { namespace, migrations } = AREAS[area];
    await ensureMigrated(store, namespace, migrations);
  }
}
