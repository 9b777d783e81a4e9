import { migrate } from '../migrate.js';
import type { Store } from '../store/store.js';

/** Creates the prediction log tables (`core_predictions`, `core_feedback`) if needed; cached per store. */
export async function migratePredictions(store: Store): Promise<void> {
  await migrate(store, { areas: ['predictions'] });
}
