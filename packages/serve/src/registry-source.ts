import { type Flavor, loadModelPackage, type ObjectStore, type Predictor } from '@mlops/core';
import type { ModelSlot, SlotContext } from './model-source.js';
import type { BatchingOptions } from './scheduler/batcher.js';
import { createServedModel, type ServedModel } from './served-model.js';

/** The part of `@mlops/registry`'s `Registry` (or its HTTP client) the server uses to follow aliases. */
export interface RegistryLike {
  /** The version an alias points at. */
  resolve(ref: { model: string; alias: string }): Promise<{ model: string; version: number; packageDigest: string }>;
  /** Calls `fn` for every committed change. */
  subscribe(
    fn: (event: { action: string; model: string | null; alias: string | null; version: number | null }) => void,
    filter?: { model?: string },
  ): Promise<() => Promise<void> | void>;
  /** A version's reference profile (for the monitoring gauges); without it, no drift gauges. */
  getProfile?(ref: { model: string; version: number }): Promise<unknown>;
  /**
   * A version's record: its `tags` may hold the monitoring settings and thresholds (`@mlops/monitoring`'s
   * `MONITORING_SETTINGS_TAG`, `mlops.monitoring`); without it, the server's `monitoring` options apply.
   */
  getVersion?(ref: { model: string; version: number }): Promise<{ tags?: Record<string, string> }>;
}

/** A model served from a registry alias: loaded through its flavor, hot-swapped when the alias moves. */
export interface RegistryModelSource {
  /** The name in URLs. */
  name: string;
  /** The registry (`createRegistry({ store })` or `registryClient(url)`). */
  registry: RegistryLike;
  /**
   * The registered model's name.
   * @default name
   */
  model?: string;
  /** The alias to follow, e.g. `production`. */
  alias: string;
  /** Where the model packages are. */
  objects: ObjectStore;
  /** Flavors that can load the packages (`onnxFlavor()`, …). */
  flavors: readonly Flavor<never>[];
  /**
   * A share of requests (0–1) goes to the version behind a second alias.
   * @default undefined (no canary)
   */
  canary?: { alias: string; share: number };
  /**
   * Every request is mirrored to the version behind this alias after the primary answered; its predictions are
   * only logged (alias `shadow:<alias>`, same request id) and its failures never reach the client.
   * @default undefined (no shadow)
   */
  shadow?: { alias: string };
  /**
   * Micro-batching for this model; `false` turns it off.
   * @default the server's `batching`
   */
  batching?: BatchingOptions | false;
  /**
   * Picks canary traffic; returns a number in [0, 1).
   * @default Math.random
   */
  random?: () => number;
}

type Role = 'primary' | 'canary' | 'shadow';

/** A slot that follows registry aliases (internal). */
export function registrySlot(src: RegistryModelSource, ctx: SlotContext): ModelSlot {
  const modelName = src.model ?? src.name;
  const random = src.random ?? Math.random;
  const share = src.canary ? Math.min(1, Math.max(0, src.canary.share)) : 0;
  const aliases: Partial<Record<Role, string>> = {
    primary: src.alias,
    ...(src.canary ? { canary: src.canary.alias } : {}),
    ...(src.shadow ? { shadow: src.shadow.alias } : {}),
  };
  const current: Partial<Record<Role, ServedModel>> = {};
  let served: { model: ServedModel; role: Role }[] = [];
  let unsubscribe: (() => Promise<void> | void) | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  let dirty = false;
  let closed = false;

  const rebuild = () => {
    served = (['primary', 'canary', 'shadow'] as const).flatMap((role) => {
      const m = current[role];
      return m ? [{ model: m, role }] : [];
    });
  };

  // The model-package metadata of each loaded version (the calibrator of the estimated performance).
  const metadataOf = new Map<string, Readonly<Record<string, unknown>>>();

  async function load(
    alias: string,
    v: { version: number; packageDigest: string },
    next: Partial<Record<Role, ServedModel>>,
  ): Promise<ServedModel> {
    const version = String(v.version);
    const existing = [...Object.values(next), ...Object.values(current)].find((m) => m?.version === version);
    if (existing) return existing;
    const { predictor, manifest } = await loadModelPackage({
      objects: src.objects,
      digest: v.packageDigest,
      flavors: src.flavors,
    });
    metadataOf.set(version, manifest.metadata ?? {});
    return wrap(alias, version, predictor);
  }

  function wrap(alias: string, version: string, predictor: Predictor): ServedModel {
    return createServedModel({
      name: src.name,
      version,
      alias,
      predictor,
      batching: src.batching ?? ctx.batching,
      closePredictor: true,
      onBatch: (rows) => ctx.onBatch(src.name, version, rows),
    });
  }

  async function refreshOnce(): Promise<void> {
    const next: Partial<Record<Role, ServedModel>> = {};
    for (const role of ['primary', 'canary', 'shadow'] as const) {
      const alias = aliases[role];
      if (!alias) continue;
      try {
        const v = await src.registry.resolve({ model: modelName, alias });
        next[role] = await load(alias, v, next);
      } catch (err) {
        // A missing canary/shadow alias just turns it off; a broken primary keeps the version being served.
        if (role === 'primary') {
          if (current.primary) {
            ctx.onError(err, `following ${modelName}@${alias}`);
            next.primary = current.primary;
          } else throw err;
        }
      }
    }
    if (closed) {
      for (const m of Object.values(next)) if (!Object.values(current).includes(m)) await m?.retire();
      return;
    }
    const before = Object.values(current);
    const fromVersion = current.primary?.version;
    for (const role of ['primary', 'canary', 'shadow'] as const) {
      if (next[role]) current[role] = next[role];
      else delete current[role];
    }
    rebuild();
    if (fromVersion !== undefined && current.primary && current.primary.version !== fromVersion) {
      ctx.onSwap(src.name, fromVersion, current.primary.version);
    }
    const still = new Set(Object.values(current));
    // Retire versions no longer served once their in-flight requests finish (never blocks the swap).
    for (const m of new Set(before)) {
      if (m && !still.has(m)) void m.retire().catch((err) => ctx.onError(err, `closing ${src.name}@${m.version}`));
    }
  }

  function refresh(): Promise<void> {
    if (dirty) return refreshing;
    dirty = true;
    refreshing = refreshing
      .catch(() => {})
      .then(() => {
        dirty = false;
        return refreshOnce();
      });
    return refreshing;
  }

  const watched = new Set(Object.values(aliases));

  return {
    name: src.name,
    get ready() {
      return current.primary !== undefined;
    },
    get primary() {
      return current.primary;
    },
    get served() {
      return served;
    },
    acquire() {
      const canary = current.canary;
      const primary = current.primary;
      if (!primary) return undefined;
      if (canary && canary !== primary && share > 0 && random() < share) {
        return { model: canary, role: 'canary', release: canary.use() };
      }
      return { model: primary, role: 'primary', release: primary.use() };
    },
    registryRef: { model: modelName, alias: src.alias },
    async profile(version) {
      if (!src.registry.getProfile) return null;
      return await src.registry.getProfile({ model: modelName, version: Number(version) });
    },
    async metadata(version) {
      return metadataOf.get(version) ?? null;
    },
    async tags(version) {
      if (!src.registry.getVersion) return null;
      return (await src.registry.getVersion({ model: modelName, version: Number(version) })).tags ?? null;
    },
    acquireShadow() {
      const s = current.shadow;
      if (!s || s === current.primary) return undefined;
      return { model: s, release: s.use() };
    },
    async start() {
      unsubscribe = await src.registry.subscribe(
        (e) => {
          if (closed) return;
          if (e.model !== null && e.model !== modelName) return;
          if (e.alias !== null && !watched.has(e.alias)) return;
          void refresh().catch((err) => ctx.onError(err, `following ${modelName}@${src.alias}`));
        },
        { model: modelName },
      );
      await refresh();
    },
    async close() {
      closed = true;
      await unsubscribe?.();
      await refreshing.catch(() => {});
      const all = new Set(Object.values(current));
      for (const role of Object.keys(current) as Role[]) delete current[role];
      rebuild();
      await Promise.allSettled([...all].map((m) => m?.retire()));
    },
  };
}
