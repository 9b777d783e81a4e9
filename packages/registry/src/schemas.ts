// The zod schemas of the registry's inputs (in-process and over HTTP); the records it returns are in records.ts.
import { pgText, signatureSchema } from '@mlops/core';
import { z } from 'zod';
import { storable } from './_internal/storable.js';
import { declarativeGateSchema, gateComparisonSchema } from './gates/schema.js';
import { profileEnvelopeSchema } from './profile.js';
import { datasetVersionRefSchema, versionStatusSchema } from './records.js';

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

/** Tags: string keys (1-256 characters) to string values (at most 5,000 characters). */
export const tagsSchema = z.record(pgText().min(1).max(256), pgText().max(5000));

/** Metrics of a version: finite numbers by name. */
export const metricsSchema = z.record(pgText().min(1).max(256), z.number().refine(Number.isFinite, 'must be finite'));

/** A model package digest in the object store: `sha256:<64 lowercase hex>`. */
export const packageDigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lowercase hex>');

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
  profile: storable(profileEnvelopeSchema).nullable().optional(),
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
