import type { Predictor } from '@mlops/core';
import { CALIBRATOR_METADATA_KEY } from '@mlops/monitoring';
import type { BatchingOptions } from './scheduler/batcher.js';
import { createServedModel, type ServedModel } from './served-model.js';

/** A model served from a predictor you hold: the version never changes. */
export interface StaticModelSource {
  /** The name in URLs (`/v1/models/{name}/predict`): letters, digits, `.`, `_`, `-`. */
  name: string;
  predictor: Predictor;
  /**
   * The version reported in responses and the prediction log.
   * @default '1'
   */
  version?: string;
  /**
   * Micro-batching for this model (only used when `predictor.batchable`); `false` turns it off.
   * @default the server's `batching`
   */
  batching?: BatchingOptions | false;
  /**
   * Close the predictor when the server closes.
   * @default false (the caller owns it)
   */
  closePredictor?: boolean;
  /**
   * The reference profile (`@mlops/drift`'s `createProfile`) the monitoring gauges compare inputs with.
   * @default undefined (no drift gauges)
   */
  profile?: unknown;
  /**
   * The model's calibrator (`@mlops/monitoring`'s `fitCalibrator`, or its JSON): the estimated performance gauges
   * use calibrated probabilities.
   * @default undefined (probabilities used as given)
   */
  calibrator?: unknown;
}

/** What each slot reports for metadata and metrics (internal). */
export interface SlotVersionInfo {
  version: string;
  alias: string;
  role: 'primary' | 'canary' | 'shadow';
  pendingRows: number;
}

/** A served model name and the version(s) behind it (internal). */
export interface ModelSlot {
  readonly name: string;
  /** True once a version is loaded. */
  readonly ready: boolean;
  /** The primary version (undefined until ready). */
  readonly primary: ServedModel | undefined;
  /** Every loaded version with its role. */
  readonly served: readonly { model: ServedModel; role: SlotVersionInfo['role'] }[];
  /** Picks the version for one request (canary split) and marks it in use; undefined when not ready. */
  acquire(): { model: ServedModel; role: 'primary' | 'canary'; release: () => void } | undefined;
  /** The shadow version to mirror a request to, marked in use; undefined when none. */
  acquireShadow(): { model: ServedModel; release: () => void } | undefined;
  /** The reference profile of a served version (any JSON, validated by the monitor), or null. */
  profile(version: string): Promise<unknown>;
  /** A served version's tags (the monitoring window settings may be among them), or null. */
  tags(version: string): Promise<Readonly<Record<string, string>> | null>;
  /** A served version's model-package metadata (its calibrator may be among them), or null. */
  metadata(version: string): Promise<Readonly<Record<string, unknown>> | null>;
  /** The registered model and alias whose retraining decisions are exported, when the slot follows a registry. */
  readonly registryRef?: { model: string; alias: string };
  /** Loads the first version and starts following changes. */
  start(): Promise<void>;
  /** Stops following, waits for in-flight requests, closes what the slot loaded. */
  close(): Promise<void>;
}

/** Shared settings every slot gets from the server (internal). */
export interface SlotContext {
  batching: BatchingOptions | false | undefined;
  onBatch: (model: string, version: string, rows: number) => void;
  onSwap: (model: string, from: string | undefined, to: string) => void;
  onError: (err: unknown, context: string) => void;
}

/** A slot over a fixed predictor (internal). */
export function staticSlot(src: StaticModelSource, ctx: SlotContext): ModelSlot {
  const version = src.version ?? '1';
  const model = createServedModel({
    name: src.name,
    version,
    predictor: src.predictor,
    batching: src.batching ?? ctx.batching,
    closePredictor: src.closePredictor ?? false,
    onBatch: (rows) => ctx.onBatch(src.name, version, rows),
  });
  const served = [{ model, role: 'primary' as const }];
  return {
    name: src.name,
    ready: true,
    primary: model,
    served,
    acquire: () => ({ model, role: 'primary', release: model.use() }),
    acquireShadow: () => undefined,
    profile: async () => src.profile ?? null,
    tags: async () => null,
    metadata: async () => {
      const c = src.calibrator as { toJSON?: () => unknown } | undefined;
      return c === undefined ? null : { [CALIBRATOR_METADATA_KEY]: typeof c.toJSON === 'function' ? c.toJSON() : c };
    },
    start: async () => {},
    close: () => model.retire(),
  };
}
