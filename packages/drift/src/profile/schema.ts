import { z } from 'zod';
import { invalidDriftInput } from '../_internal/options.js';
import { DriftError } from '../errors.js';
import { COLUMN_TYPES } from './input.js';

/** The envelope `kind` of a drift profile. */
export const PROFILE_KIND = 'mlops.drift/profile';
/**
 * The profile schema version written by this release. Version 2 added the mergeable sketches (`sketch`,
 * `distinctSketch`, `vocabularySketch`) and the count errors; version 1 profiles are read and migrated.
 */
export const PROFILE_SCHEMA_VERSION = 2;
/** Every profile schema version this release reads. */
export const PROFILE_SCHEMA_VERSIONS = [1, 2] as const;

// zod 4's z.number() already rejects NaN and ±Infinity.
const finite = z.number();
const count = z.number().int().nonnegative();

/** Summary statistics of a numerical (or datetime, in epoch ms) column. */
export const numericSummarySchema = z.object({
  mean: finite,
  std: finite.nonnegative(),
  min: finite,
  q25: finite,
  q50: finite,
  q75: finite,
  max: finite,
});

/**
 * Bounded category counts: the most frequent values and the count of all the others. `countError` (absent = 0) is
 * how far below the truth a listed count may be once the counts had to be summarised (Misra–Gries) or merged.
 */
export const categorySummarySchema = z.object({
  top: z.array(z.object({ value: z.string(), count })),
  otherCount: count,
  countError: count.optional(),
});

/** A KLL quantile sketch (`levels[h]`: the retained values of weight 2^h, ascending). */
export const kllSketchSchema = z
  .object({
    k: z.number().int().min(8).max(65_535),
    n: count,
    min: finite,
    max: finite,
    levels: z.array(z.array(finite)),
  })
  .superRefine((sketch, ctx) => {
    // each value retained at level h stands for 2^h values: together they must be the n values sketched
    let weight = 0;
    for (let h = 0; h < sketch.levels.length; h++) weight += (sketch.levels[h] as number[]).length * 2 ** h;
    if (weight !== sketch.n) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels'],
        message: `the retained values weigh ${weight}, not n = ${sketch.n}`,
      });
    }
  });

/** A HyperLogLog distinct-count sketch: 4,096 one-byte registers in base64. */
const hllSchema = z.string().length(5464);

/** Token statistics of a free-text column. */
export const textSummarySchema = z.object({
  meanTokens: finite,
  meanLength: finite,
  minLength: count,
  maxLength: count,
  vocabularySize: count,
  topTokens: z.array(z.object({ token: z.string(), count })),
  /** How far below the truth a token count may be (absent = 0, exact). */
  tokenCountError: count.optional(),
  /** Distinct-count sketch of the tokens, so merged profiles count their vocabulary. */
  vocabularySketch: hllSchema.optional(),
});

/** One column of a profile. */
export const columnProfileSchema = z
  .object({
    name: z.string(),
    type: z.enum(COLUMN_TYPES),
    role: z.enum(['feature', 'target', 'prediction']),
    /** Rows, missing included. */
    count,
    missing: count,
    distinct: count,
    /** A seeded reservoir sample of the non-missing values: numbers (sorted) for numerical/datetime, strings otherwise. */
    sample: z.union([z.array(finite), z.array(z.string())]),
    numeric: numericSummarySchema.nullable().optional(),
    categories: categorySummarySchema.optional(),
    text: textSummarySchema.optional(),
    /** Quantile sketch of the non-missing values of a numerical/datetime column (schema version 2). */
    sketch: kllSketchSchema.optional(),
    /** Distinct-count sketch of the non-missing values (schema version 2). */
    distinctSketch: hllSchema.optional(),
  })
  .refine((c) => c.missing <= c.count, { path: ['missing'], message: 'more missing values than rows (count)' });

/** The versioned profile of a dataset: `{ kind: 'mlops.drift/profile', schemaVersion: 2, ... }`. */
export const profileSchema = z.object({
  kind: z.literal(PROFILE_KIND),
  schemaVersion: z.literal(PROFILE_SCHEMA_VERSION),
  createdAt: z.string().optional(),
  rows: count,
  sampleSize: z.number().int().positive(),
  seed: z.number().int(),
  columns: z.array(columnProfileSchema).superRefine((columns, ctx) => {
    const seen = new Set<string>();
    columns.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `column "${c.name}" is profiled twice` });
      }
      seen.add(c.name);
    });
  }),
});

/** A version-1 profile (before sketches): what {@link migrateProfile} upgrades. */
export const profileSchemaV1 = profileSchema.extend({ schemaVersion: z.literal(1) });

/** A dataset profile, as produced by `createProfile` and read back by {@link parseProfile}. */
export type Profile = z.infer<typeof profileSchema>;
/** One column of a {@link Profile}. */
export type ColumnProfile = z.infer<typeof columnProfileSchema>;

// Profiles this module built or validated: detectDrift skips re-validating them (a WeakSet: nothing is retained).
const validated = new WeakSet<object>();

/** Records a profile as valid (called by createProfile on what it returns). */
export function markValidProfile(profile: Profile): Profile {
  validated.add(profile);
  return profile;
}

/** Returns a profile known to be valid: one built by createProfile or parseProfile as is, anything else parsed. */
export function ensureProfile(value: unknown): Profile {
  return typeof value === 'object' && value !== null && validated.has(value) ? (value as Profile) : parseProfile(value);
}

/** True when `value` carries the profile envelope (it may still fail full validation). */
export function isProfile(value: unknown): value is Profile {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { kind?: unknown }).kind === PROFILE_KIND
  );
}

/**
 * Upgrades a parsed profile of an earlier schema version to the current one. Version 1 → 2: the fields are the
 * same, the sketches are absent. Such a profile works everywhere as before (drift tests use its reservoir sample)
 * but cannot be merged: profile the data again for that.
 */
export function migrateProfile(value: { schemaVersion: number } & Record<string, unknown>): Record<string, unknown> {
  if (value.schemaVersion === 1) return { ...value, schemaVersion: 2 };
  return value;
}

function invalid(error: z.ZodError): DriftError {
  return invalidDriftInput('invalid profile', error, { profile: true });
}

/**
 * Validates a profile (a JSON string or a parsed object) of any version this release reads ({@link
 * PROFILE_SCHEMA_VERSIONS}) and returns it in the current version (see {@link migrateProfile}). Throws a
 * `DriftError` with code `INVALID_INPUT` and `details: { profile: true, issues }` (field paths and messages) when
 * it is not a valid profile.
 */
export function parseProfile(json: unknown): Profile {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      throw new DriftError('INVALID_INPUT', `profile is not valid JSON: ${(cause as Error).message}`, {
        cause,
        details: { profile: true, issues: [] },
      });
    }
  }
  const envelope = value as { kind?: unknown; schemaVersion?: unknown } | null;
  if (envelope?.kind === PROFILE_KIND && envelope.schemaVersion === 1) {
    const v1 = profileSchemaV1.safeParse(value);
    if (!v1.success) throw invalid(v1.error);
    const parsed = profileSchema.safeParse(migrateProfile(v1.data));
    if (!parsed.success) throw invalid(parsed.error);
    return markValidProfile(parsed.data);
  }
  if (envelope?.kind === PROFILE_KIND && envelope.schemaVersion !== PROFILE_SCHEMA_VERSION) {
    throw new DriftError(
      'INVALID_INPUT',
      `unsupported profile schemaVersion ${String(envelope.schemaVersion)} (this release reads ${PROFILE_SCHEMA_VERSIONS.join(', ')})`,
      { details: { profile: true, issues: [{ path: 'schemaVersion', message: 'unsupported version' }] } },
    );
  }
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error);
  return markValidProfile(parsed.data);
}
