import { migrate, type Store } from '@mlops/core';
import { PIPELINES_MIGRATIONS, PIPELINES_NAMESPACE } from '../migrations/index.js';

const ready = new WeakMap<Store, Promise<void>>();

/**
 * Applies core's retrain-decisions migrations, then the `pipelines` ones (#3 moves old decisions into core's table),
 * once per store object (later calls reuse the first promise).
 */
export function migratePipelines(store: Store): Promise<void> {
  let p = ready.get(store);
  if (!p) {
    p = (async () => {
      await migrate(store, { areas: ['retrain-decisions'] });
      await store.migrate(PIPELINES_NAMESPACE, PIPELINES_MIGRATIONS);
    })().catch((err: unknown) => {
      ready.delete(store);
      throw err;
    });
    ready.set(store, p);
  }
  return p;
}
