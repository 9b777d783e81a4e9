import { PREDICTIONS_MIGRATIONS } from '../migrations/predictions.js';
import type { Store } from '../store/store.js';

const migrated = new WeakSet<Store>();

/** Creates the prediction log tables (`core_predictions`, `core_feedback`) if needed; cached per store. */
export async function migratePredictions(store: Store): Promise<void> {
  if (migrated.has(store)) return;
  await store.migrate('core.predictions', PREDICTIONS_MIGRATIONS);
  migrated.add(store);
}
