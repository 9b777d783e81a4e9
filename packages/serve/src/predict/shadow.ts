import type { Columns } from '@mlops/core';
import type { PredictionLogger } from '@mlops/core/predictions';
import { rowCount } from '../_internal/columns.js';
import type { ModelSlot } from '../model-source.js';
import { SHADOW_ALIAS_PREFIX } from '../monitoring.js';
import type { ErrorContext } from '../options.js';

/** What {@link mirrorToShadow} reports to (internal). */
export interface ShadowDeps {
  logger: PredictionLogger | undefined;
  /** Counts the rows the shadow predicted. */
  onPredicted(model: string, version: string, rows: number): void;
  onError(err: unknown, context: ErrorContext): void;
}

/**
 * Sends a request's validated inputs to the slot's shadow version, if any, and logs its outputs under the request id
 * with the alias `shadow:<alias>`. Never throws into the request and never delays it: the answer goes out first.
 */
export function mirrorToShadow(slot: ModelSlot, inputs: Columns, requestId: string, deps: ShadowDeps): void {
  const shadow = slot.acquireShadow();
  if (!shadow) return;
  const start = performance.now();
  // A synchronous throw of the predictor becomes a rejection too.
  void Promise.resolve()
    .then(() => shadow.model.predict(inputs))
    .then((outputs) => {
      deps.onPredicted(shadow.model.name, shadow.model.version, rowCount(outputs));
      deps.logger?.logBatch({
        requestId,
        model: shadow.model.name,
        version: shadow.model.version,
        alias: `${SHADOW_ALIAS_PREFIX}${shadow.model.alias ?? ''}`,
        latencyMs: performance.now() - start,
        inputs,
        outputs,
      });
    })
    .catch((err) => deps.onError(err, { requestId, where: `shadow ${shadow.model.name}@${shadow.model.version}` }))
    .finally(shadow.release);
}
