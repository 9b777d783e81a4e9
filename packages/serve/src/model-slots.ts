import { MlopsError } from '@mlops/core';
import type { StaticModelSource } from './model-source.js';
import { type ModelSlot, type SlotContext, staticSlot } from './model-source.js';
import type { RegistryModelSource } from './registry-source.js';
import { registrySlot } from './registry-source.js';

/** A model the server serves: a fixed predictor, or a registry alias it follows. */
export type ModelSource = StaticModelSource | RegistryModelSource;

/** The served models by name (internal). */
export interface ModelSlots {
  /** Every slot, in the order of the options. */
  readonly all: readonly ModelSlot[];
  /** The slot of a served model, or `NOT_FOUND` (404) naming the served ones, with `path` in its details. */
  find(name: string, path: string): ModelSlot;
}

/** One slot per model source: a fixed predictor, or a registry alias it follows (internal). */
export function createModelSlots(sources: readonly ModelSource[], ctx: SlotContext): ModelSlots {
  const byName = new Map<string, ModelSlot>();
  for (const src of sources) byName.set(src.name, 'registry' in src ? registrySlot(src, ctx) : staticSlot(src, ctx));
  const all = [...byName.values()];
  return {
    all,
    find(name, path) {
      const slot = typeof name === 'string' ? byName.get(name) : undefined;
      if (!slot) {
        throw new MlopsError('NOT_FOUND', {
          message: `Model "${String(name).slice(0, 200)}" is not served (served: ${[...byName.keys()].join(', ') || 'none'})`,
          details: [{ path, message: 'Unknown model' }],
        });
      }
      return slot;
    },
  };
}
