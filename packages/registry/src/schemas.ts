import { pgJsonIssues, pgText, signatureSchema } from '@mlops/core';
import { z } from 'zod';
import { declarativeGateSchema, gateComparisonSchema } from './gates.js';
import { profileSchema } from './profile.js';

/** Registered model names: letters, digits, `.`, `_`, `-`; starting with a letter or digit; at most 128 characters. */
export const modelNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 characters of letters, digits, ".", "_" or "-"');

/** Alias names (`production`, `staging`, `champion`, …): a letter first, then letters, digits, `.`, `_`, `-`. */
export const aliasNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 characters: a letter, then letters, digits, ".", "_" or "-"');

/** A version number: a positive integer (query strings are coerced). */
export const versionNumberSchema = z.coerce.number<number>().int().positive();

// Every string a caller gives is stored in PostgreSQL text or jsonb: `pgText` (core) refuses what those cannot hold
// (U+0000, a lone surrogate) with the field's path, in-process as over HTTP, before anything reaches the store.

/**
 * Adds core's `pgJsonIssues` to a schema whose value is stored as jsonb with parts no schema describes (the extra keys
 * of a dataset reference, a profile's body, a signature): strings and keys jsonb cannot hold, JSON nested too deep.
 * Top-level keys in `checked` are left out (their own `pgText` reports them).
 */
function storable<S extends z.ZodType>(schema: S, checked: readonly string[] = []): S {
  return schema.superRefine((value, ctx) => {
    const rest =
      checked.length > 0 && value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).filter(([k]) => !checked.includes(k)))
        : value;
    for (const i of pgJsonIssues(rest)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  }) as S;
}

/** Tags: string keys (1-256 characters) to string values (at most 5,000 characters). */
export const tagsSchema = z.record(pgText().min(1).max(256), pgText().max(5000));

/** Metrics of a version: finite numbers by name. */
export const metricsSchema = z.record(pgText().min(1).max(256), z.number().refine(Number.isFinite, 'must be finite'));

/** Status of a model version. Only `ready` versions can be aliased or promoted. */
export const versionStatusSchema = z.enum(['pending', 'ready', 'failed', 'archived']);

/** A model package digest in the object store: `sha256:<64 lowercase hex>`. */
export const packageDigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lowercase hex>');

/** A dataset version a model version was trained on, e.g. `{ name: 'secom', digest: 'sha256:…' }`. */
export const datasetVersionRefSchema = storable(
  z.looseObject({
    name: pgText().min(1).max(256),
    version: pgText().max(256).optional(),
    digest: pgText().max(256).optional(),
  }),
  ['name', 'version', 'digest'],
);

/** Who did it (an API key's principal, or the local user) and why: on every write. */
const writeMeta = {
  /** Overrides the registry's default principal in-process; ignored over HTTP when auth is on. */
  principal: pgText().min(1).max(256).optional(),
  /** Why, recorded in the audit log. */
  reason: pgText().max(2000).optional(),
};

/** Page size: 1 to 1,000. */
const limitSchema = z.coerce.number<number>().int().min(1).max(1000).optional();
const cursorSchema = pgText().max(2000).optional();

/** Input of `createModel`. */
export const createModelInputSchema = z.strictObject({
  name: modelNameSchema,
  description: pgText().max(10_000).optional(),
  tags: tagsSchema.optional(),
  ...writeMeta,
});

/** Input of `updateModel`: `tags` are merged in, `deleteTags` removed. */
export const updateModelInputSchema = z.strictObject({
  name: modelNameSchema,
  description: pgText().max(10_000).optional(),
  tags: tagsSchema.optional(),
  deleteTags: z.array(pgText().min(1).max(256)).optional(),
  ...writeMeta,
});

/** Input of `deleteModel`. */
export const deleteModelInputSchema = z.strictObject({ name: modelNameSchema, ...writeMeta });

/** Filters of `listModels`. */
export const listModelsInputSchema = z.strictObject({
  /** Case-insensitive substring of the name. */
  query: pgText().max(256).optional(),
  /** Every tag given must match exactly. */
  tags: tagsSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** Input of `createVersion`. */
export const createVersionInputSchema = z.strictObject({
  model: modelNameSchema,
  packageDigest: packageDigestSchema,
  flavor: pgText().min(1).max(256),
  signature: storable(signatureSchema).nullable().optional(),
  profile: storable(profileSchema).nullable().optional(),
  metrics: metricsSchema.optional(),
  sourceRunId: pgText().min(1).max(256).nullable().optional(),
  datasetVersions: z.array(datasetVersionRefSchema).max(100).optional(),
  tags: tagsSchema.optional(),
  description: pgText().max(10_000).optional(),
  status: versionStatusSchema.optional(),
  ...writeMeta,
});

/** Names one version. */
export const versionRefSchema = z.strictObject({ model: modelNameSchema, version: versionNumberSchema });

/** Input of `updateVersion`: `tags` are merged in, `deleteTags` removed. */
export const updateVersionInputSchema = z.strictObject({
  model: modelNameSchema,
  version: versionNumberSchema,
  description: pgText().max(10_000).optional(),
  tags: tagsSchema.optional(),
  deleteTags: z.array(pgText().min(1).max(256)).optional(),
  status: versionStatusSchema.optional(),
  ...writeMeta,
});

/** Input of `deleteVersion`. */
export const deleteVersionInputSchema = z.strictObject({
  model: modelNameSchema,
  version: versionNumberSchema,
  ...writeMeta,
});

/** Filters of `listVersions` (across models when `model` is not given). */
export const listVersionsInputSchema = z.strictObject({
  model: modelNameSchema.optional(),
  status: versionStatusSchema.optional(),
  flavor: pgText().max(256).optional(),
  sourceRunId: pgText().max(256).optional(),
  /** Every tag given must match exactly. */
  tags: tagsSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** Names one alias. */
export const aliasRefSchema = z.strictObject({ model: modelNameSchema, alias: aliasNameSchema });

/** Input of `setAlias`: points (or moves) the alias at a version without a gate. */
export const setAliasInputSchema = z.strictObject({
  model: modelNameSchema,
  alias: aliasNameSchema,
  version: versionNumberSchema,
  ...writeMeta,
});

/** Input of `deleteAlias`. */
export const deleteAliasInputSchema = z.strictObject({ model: modelNameSchema, alias: aliasNameSchema, ...writeMeta });

/** Filters of `aliasHistory`. */
export const aliasHistoryInputSchema = z.strictObject({
  model: modelNameSchema,
  alias: aliasNameSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** Input of `promote` over HTTP (declarative gates only). In-process, `gate` may also hold functions. */
export const promoteInputSchema = z.strictObject({
  model: modelNameSchema,
  alias: aliasNameSchema,
  version: versionNumberSchema,
  gate: declarativeGateSchema.optional(),
  /** Compare-and-set: the version the alias must point at now (`null`: the alias must not exist). */
  expectedIncumbent: versionNumberSchema.nullable().optional(),
  /**
   * Both models' figures measured on the same data: the gate reads them instead of the registered metrics, and
   * the decision records them with the data they were measured on.
   */
  comparison: gateComparisonSchema.optional(),
  ...writeMeta,
});

/** Input of `rollback`. */
export const rollbackInputSchema = z.strictObject({ model: modelNameSchema, alias: aliasNameSchema, ...writeMeta });

/** Filters of `listDecisions`. */
export const listDecisionsInputSchema = z.strictObject({
  model: modelNameSchema,
  alias: aliasNameSchema.optional(),
  passed: z.boolean().optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** Filters of `listAudit`. */
export const listAuditInputSchema = z.strictObject({
  model: modelNameSchema.optional(),
  action: pgText().max(64).optional(),
  principal: pgText().max(256).optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** Filters of `subscribe`. */
export const subscribeFilterSchema = z.strictObject({ model: modelNameSchema.optional() });

// ---- Records (outputs); the HTTP client parses responses with these. ----

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
