import { aliasMethods } from './aliases.js';
import { auditMethods } from './audit.js';
import { openRegistryContext, type RegistryOptions } from './context.js';
import { modelMethods } from './models.js';
import { promotionMethods } from './promotion.js';
import type { Registry } from './types.js';
import { versionMethods } from './versions.js';

/**
 * Opens the model registry on a store: registered models, auto-numbered versions, aliases with history, gated
 * promotion, rollback, an append-only audit log and change events. Migrates its tables on first use.
 *
 * Every write runs in one transaction that also appends its audit entry; the change event is delivered to
 * in-process subscribers after commit and, on PostgreSQL, to other processes through `NOTIFY` (sent on commit).
 *
 * Each area lives in its own module and gets the shared {@link RegistryContext} (context.ts): `models.ts`,
 * `versions.ts`, `aliases.ts`, `promotion.ts` (promote, rollback, decisions) and `audit.ts` (audit log, events).
 *
 * @example
 * const registry = await createRegistry({ store: await createStore('memory://') });
 * await registry.createModel({ name: 'churn' });
 * const v1 = await registry.createVersion({ model: 'churn', packageDigest, flavor: 'linear', metrics: { f1: 0.81 } });
 * await registry.promote({ model: 'churn', version: v1.version, alias: 'production', gate: { metric: 'f1', op: 'gte', value: 0.8 } });
 */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const ctx = await openRegistryContext(options);
  return {
    ...modelMethods(ctx),
    ...versionMethods(ctx),
    ...aliasMethods(ctx),
    ...promotionMethods(ctx),
    ...auditMethods(ctx),
    close: () => ctx.close(),
  };
}
