// The records the registry returns, as zod schemas (the HTTP client parses responses with them) and their types.
// Nothing here depends on gates, so the gate types can name a ModelVersion without an import cycle.
import { pgText, signatureSchema } from '@mlops/core';
import { z } from 'zod';
import { storable } from './_internal/storable.js';

/** Status of a model version. Only `ready` versions can be aliased or promoted. */
export const versionStatusSchema = z.enum(['pending', 'ready', 'failed', 'archived']);

/** A dataset version a model version was trained on, e.g. `{ name: 'secom', digest: 'sha256:…' }`. */
export const datasetVersionRefSchema = storable(
  z.looseObject({
    name: pgText().min(1).max(256),
    version: pgText().max(256).optional(),
    digest: pgText().max(256).optional(),
  }),
  ['name', 'version', 'digest'],
);

const isoDate = z.string();

/** A registered model. */
export const registeredModelSchema = z.object({
  name: z.string(),
  description: z.string(),
  tags: z.record(z.string(), z.string()),
  createdBy: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

/** A model version (without its profile: see `getProfile`). */
export const modelVersionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  packageDigest: z.string(),
  flavor: z.string(),
  signature: signatureSchema.nullable(),
  hasProfile: z.boolean(),
  metrics: z.record(z.string(), z.number()),
  sourceRunId: z.string().nullable(),
  datasetVersions: z.array(datasetVersionRefSchema),
  tags: z.record(z.string(), z.string()),
  description: z.string(),
  status: versionStatusSchema,
  aliases: z.array(z.string()),
  createdBy: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

/** An alias and the version it points at. */
export const aliasSchema = z.object({
  model: z.string(),
  alias: z.string(),
  version: z.number().int(),
  updatedBy: z.string(),
  updatedAt: isoDate,
});

/** What an alias change did. */
export const aliasActionSchema = z.enum(['set', 'promote', 'rollback', 'delete']);

/** One row of an alias's history. `stack` is the rollback stack after the change (top = last element). */
export const aliasHistoryEntrySchema = z.object({
  id: z.number().int(),
  model: z.string(),
  alias: z.string(),
  action: aliasActionSchema,
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int().nullable(),
  stack: z.array(z.number().int()),
  decisionId: z.number().int().nullable(),
  principal: z.string(),
  reason: z.string().nullable(),
  at: isoDate,
});

/** One promotion decision, pass or fail, with its evidence. */
export const decisionSchema = z.object({
  id: z.number().int(),
  model: z.string(),
  alias: z.string(),
  candidateVersion: z.number().int(),
  incumbentVersion: z.number().int().nullable(),
  passed: z.boolean(),
  gate: z.unknown(),
  evidence: z.record(z.string(), z.unknown()),
  principal: z.string(),
  reason: z.string().nullable(),
  at: isoDate,
});

/** The actions written to the audit log (and sent as change events). */
export const auditActionSchema = z.enum([
  'model.created',
  'model.updated',
  'model.deleted',
  'version.created',
  'version.updated',
  'version.deleted',
  'alias.set',
  'alias.deleted',
  'alias.promoted',
  'alias.rolled-back',
  'promotion.rejected',
]);

/** A change event: one committed write, as recorded in the audit log (without its details). */
export const registryEventSchema = z.object({
  id: z.number().int(),
  action: auditActionSchema,
  model: z.string().nullable(),
  version: z.number().int().nullable(),
  alias: z.string().nullable(),
  fromVersion: z.number().int().nullable(),
  principal: z.string(),
  reason: z.string().nullable(),
  at: isoDate,
});

/** One audit log entry: who, when, what, why, and the details of the change. */
export const auditEntrySchema = registryEventSchema.extend({ details: z.record(z.string(), z.unknown()) });

/** The result of `promote` when the gate passed. */
export const promotionResultSchema = z.object({ decision: decisionSchema, alias: aliasSchema });

/** The result of `rollback`. */
export const rollbackResultSchema = z.object({
  alias: aliasSchema,
  fromVersion: z.number().int().nullable(),
  /** Versions popped from the stack and skipped because they were deleted or no longer `ready`. */
  skipped: z.array(z.number().int()),
});

/** A page of results; pass `nextCursor` back as `cursor` for the next page (`null`: last page). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A registered model: name, description, tags. */
export type RegisteredModel = z.infer<typeof registeredModelSchema>;
/** A model version (its reference profile is fetched separately with `getProfile`). */
export type ModelVersion = z.infer<typeof modelVersionSchema>;
/** Status of a model version. */
export type VersionStatus = z.infer<typeof versionStatusSchema>;
/** An alias and its current target. */
export type Alias = z.infer<typeof aliasSchema>;
/** One alias change. */
export type AliasHistoryEntry = z.infer<typeof aliasHistoryEntrySchema>;
/** One recorded promotion decision. */
export type Decision = z.infer<typeof decisionSchema>;
/** An audit action, also the type of a change event. */
export type AuditAction = z.infer<typeof auditActionSchema>;
/** One audit log entry. */
export type AuditEntry = z.infer<typeof auditEntrySchema>;
/** A change event. */
export type RegistryEvent = z.infer<typeof registryEventSchema>;
/** The result of a passed promotion. */
export type PromotionResult = z.infer<typeof promotionResultSchema>;
/** The result of a rollback. */
export type RollbackResult = z.infer<typeof rollbackResultSchema>;
