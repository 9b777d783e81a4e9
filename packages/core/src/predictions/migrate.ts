import { PREDICTIONS_MIGRATIONS } from '../migrations/predictions.js';
import { ensureMigrated } from '../store/migrate.js';
import type { Store } from '../store/store.js';

/** Creates the prediction log tables (`core_predictions`, `core_feedback`) if needed; cached per store. */
export async function migratePredictions(store: Store): Promise<void> {
  await ensureMigrated(store, 'core.predictions', PREDICTIONS_MIGRATIONS);
}
