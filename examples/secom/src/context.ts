// What every step of the run shares: the model's name, the fail label, the stores and who the run is.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createStore, type ObjectStore, type Store } from '@mlops/core';
import { openObjectStore } from '@mlops/core/objects';
import { createTracker, type Tracker } from '@mlops/core/tracking';
import { createRegistry, type Registry } from '@mlops/registry';

/** The registered model. */
export const MODEL = 'secom-fail';
/** SECOM's label of a failed run (a pass is -1). */
export const FAIL = 1;

/** The stores and settings every step of {@link runSecom} reads. */
export interface SecomContext {
  /** Where the store, objects, data copies and reports go (absolute). */
  home: string;
  seed: number;
  quick: boolean;
  /** True when the sensor readings were simulated: every output says so. */
  simulated: boolean;
  store: Store;
  objects: ObjectStore;
  tracker: Tracker;
  registry: Registry;
  /** `{ simulated: 'true' | 'false' }`, on every run and version. */
  simTag: { simulated: string };
  /** `'SIMULATED features'` or `'real features'`, for the log lines. */
  features: string;
}

/**
 * Opens the embedded store, objects, tracker and registry under `home` (and creates its data and report folders). The
 * object store is `options.objects` (an object store URL, e.g. `s3://bucket/prefix?endpoint=…`) when set.
 */
export async function openContext(options: {
  home: string;
  objects?: string | undefined;
  seed: number;
  quick: boolean;
  simulated: boolean;
}): Promise<SecomContext> {
  const { home, simulated } = options;
  mkdirSync(join(home, 'data'), { recursive: true });
  mkdirSync(join(home, 'reports'), { recursive: true });
  const objects = await openObjectStore(options.objects ?? join(home, 'objects'));
  const store = await createStore(`pglite://${join(home, 'db')}`);
  const tracker = createTracker({ store, objects });
  const registry = await createRegistry({ store });
  return {
    ...options,
    store,
    objects,
    tracker,
    registry,
    simTag: { simulated: String(simulated) },
    features: simulated ? 'SIMULATED features' : 'real features',
  };
}

/** Closes the registry and the store. */
export async function closeContext(ctx: SecomContext): Promise<void> {
  await ctx.registry.close();
  await ctx.store.close();
}
