import type { Store } from '@mlops/core';
import { migratePipelines as migrateRuns } from './_internal/migrate.js';
import { migrateValidation } from './validation/migrations.js';

/**
 * Creates or upgrades every table of `@mlops/pipelines` (step cache, tuning studies, validation results; core's
 * retrain decisions first). Safe to call at every start and from several processes; each part of the package also
 * migrates what it needs on first use, so this is only needed to prepare a database ahead of time (a deploy step, a
 * read-only role). Core's tables: `migrate(store)` from `@mlops/core`.
 */
export async function migratePipelines(store: Store): Promise<void> {
  await migrateRuns(store);
  await migrateValidation(store);
}
