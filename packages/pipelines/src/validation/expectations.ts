import { type DriftTestName, isProfile, type Profile } from '@mlops/drift';
import { z } from 'zod';
import { parseOrThrow } from './_zod.js';

/** How a failed expectation counts: `error` fails the validation (and the step); `warn` is only reported. */
export const SEVERITIES = ['error', 'warn'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Options every expectation takes. */
export interface ExpectationOptions {
  /**
   * `error` fails the validation; `warn` is reported only.
   * @default 'error'
   */
  severity?: Severity;
  /**
   * Name shown in reports.
   * @default derived from the kind and column, e.g. `not_null(body)`
   */
  name?: string;
}

const column = z.string().min(1).max(63);
const base = { name: z.string().min(1).max(200), severity: z.enum(SEVERITIES) };
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const bound = z.union([z.number().refine(Number.isFinite, 'must be finite'), z.string().min(1), z.date()]);
const share = z.number().min(0).max(1);
const shareBounds = z
  .object({ min: share.optional(), max: share.optional() })
  .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, 'min must not exceed max');

/** Lower and upper bounds of a share in [0, 1]; either may be left out. */
export type ShareBounds = z.infer<typeof shareBounds>;

/** Schema of every expectation definition (plain data, so suites can be stored and compared). */
export const expectationSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('not_null'), column }),
  z.object({ ...base, kind: z.literal('not_empty'), column }),
  z.object({ ...base, kind: z.literal('unique'), columns: z.array(column).min(1) }),
  z.object({ ...base, kind: z.literal('accepted_values'), column, values: z.array(scalar).min(1) }),
  z
    .object({ ...base, kind: z.literal('between'), column, min: bound.optional(), max: bound.optional() })
    .refine((e) => e.min !== undefined || e.max !== undefined, 'between needs min, max or both')
    .refine(
      (e) => e.min === undefined || e.max === undefined || (typeof e.min === 'number') === (typeof e.max === 'number'),
      'min and max must both be numbers or both be dates',
    ),
  z
    .object({
      ...base,
      kind: z.literal('row_count'),
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    })
    .refine((e) => e.min !== undefined || e.max !== undefined, 'rowCount needs min, max or both')
    .refine((e) => e.min === undefined || e.max === undefined || e.min <= e.max, 'min must not exceed max'),
  z.object({ ...base, kind: z.literal('freshness'), column, maxAgeMs: z.number().positive() }),
  z.object({ ...base, kind: z.literal('references'), column, table: z.string().min(1), refColumn: column }),
  z.object({
    ...base,
    kind: z.literal('class_shares'),
    column,
    min: share.optional(),
    max: share.optional(),
    shares: z.record(z.string(), shareBounds).optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('distribution'),
    reference: z.custom<Profile>((v) => isProfile(v), 'expected a profile from createProfile()'),
    columns: z.array(column).min(1).optional(),
    maxDriftShare: share,
    thresholds: z.record(z.string(), z.number().nonnegative()).optional(),
    maxRows: z.number().int().positive(),
  }),
  z.object({ ...base, kind: z.literal('custom_sql'), sql: z.string().min(1) }),
]);

/** A declared expectation (data test). Build them with {@link expectColumn} and the other `expect*` functions. */
export type Expectation = z.infer<typeof expectationSchema>;
/** The kind of an {@link Expectation}. */
export type ExpectationKind = Expectation['kind'];

function make(input: Record<string, unknown>, options: ExpectationOptions | undefined, defaultName: string) {
  return parseOrThrow(
    expectationSchema,
    { ...input, severity: options?.severity ?? 'error', name: options?.name ?? defaultName },
    `expectation ${defaultName}`,
  );
}

/** Bounds of {@link ColumnExpectations.shares}: every class share in `[min, max]`, and per-class bounds. */
export interface ClassSharesOptions extends ExpectationOptions {
  /**
   * Least share of every class present (and of every class named in `shares`).
   * @default undefined (no lower bound)
   */
  min?: number;
  /**
   * Largest share of any class.
   * @default undefined (no upper bound)
   */
  max?: number;
  /**
   * Bounds per class value, e.g. `{ Hardware: { min: 0.2 } }`; a named class absent from the data has share 0.
   * @default {}
   */
  shares?: Record<string, ShareBounds>;
}

/** The expectations about one column, from {@link expectColumn}. */
export interface ColumnExpectations {
  /** No null (or undefined/NaN in memory) values. */
  notNull(options?: ExpectationOptions): Expectation;
  /** No null values and no empty or whitespace-only text. */
  notEmpty(options?: ExpectationOptions): Expectation;
  /** No value appears twice (nulls are ignored, as SQL `UNIQUE` does). */
  unique(options?: ExpectationOptions): Expectation;
  /** Every non-null value is one of `values` (compared as text). */
  acceptedValues(values: readonly (string | number | boolean)[], options?: ExpectationOptions): Expectation;
  /** Every non-null value lies in `[min, max]`: numbers, or dates (`Date` or ISO strings); `null` leaves a side open. */
  between(
    min: number | string | Date | null | undefined,
    max: number | string | Date | null | undefined,
    options?: ExpectationOptions,
  ): Expectation;
  /** The share of each distinct value (class) among non-null values stays within bounds. */
  shares(options: ClassSharesOptions): Expectation;
}

/**
 * Expectations about one column.
 * @example expectColumn('topic').acceptedValues(['Hardware', 'Access'], { severity: 'warn' })
 */
export function expectColumn(name: string): ColumnExpectations {
  return {
    notNull: (o) => make({ kind: 'not_null', column: name }, o, `not_null(${name})`),
    notEmpty: (o) => make({ kind: 'not_empty', column: name }, o, `not_empty(${name})`),
    unique: (o) => make({ kind: 'unique', columns: [name] }, o, `unique(${name})`),
    acceptedValues: (values, o) =>
      make({ kind: 'accepted_values', column: name, values: [...values] }, o, `accepted_values(${name})`),
    between: (min, max, o) =>
      make({ kind: 'between', column: name, min: min ?? undefined, max: max ?? undefined }, o, `between(${name})`),
    shares: (o) =>
      make(
        { kind: 'class_shares', column: name, min: o.min, max: o.max, shares: o.shares },
        o,
        `class_shares(${name})`,
      ),
  };
}

/** No combination of values of `columns` appears twice (rows with a null in them are ignored). */
export function expectUnique(columns: readonly string[], options?: ExpectationOptions): Expectation {
  return make({ kind: 'unique', columns: [...columns] }, options, `unique(${columns.join(', ')})`);
}

/** Options of {@link expectRowCount}. */
export interface RowCountOptions extends ExpectationOptions {
  /**
   * Least number of rows.
   * @default undefined (no lower bound)
   */
  min?: number;
  /**
   * Largest number of rows.
   * @default undefined (no upper bound)
   */
  max?: number;
}

/** The number of rows lies in `[min, max]`. */
export function expectRowCount(options: RowCountOptions): Expectation {
  return make({ kind: 'row_count', min: options.min, max: options.max }, options, 'row_count');
}

/** Options of {@link expectFreshness}. */
export interface FreshnessOptions extends ExpectationOptions {
  /** A timestamp column (or epoch-ms numbers / ISO strings in memory). */
  column: string;
  /** Largest allowed age of the newest value, in milliseconds. */
  maxAgeMs: number;
}

/** The newest value of a timestamp column is at most `maxAgeMs` old (an empty column fails). */
export function expectFreshness(options: FreshnessOptions): Expectation {
  return make(
    { kind: 'freshness', column: options.column, maxAgeMs: options.maxAgeMs },
    options,
    `freshness(${options.column})`,
  );
}

/** Options of {@link expectReferences}. */
export interface ReferencesOptions extends ExpectationOptions {
  /** The column holding the foreign key. */
  column: string;
  /** The referenced table: `schema.table` in a store (schemas mapped as in `ref()`), or a key of `tables` in memory. */
  table: string;
  /**
   * The referenced column.
   * @default the same name as `column`
   */
  refColumn?: string;
}

/** Every non-null value of `column` exists in `table.refColumn` (a foreign-key check). */
export function expectReferences(options: ReferencesOptions): Expectation {
  return make(
    {
      kind: 'references',
      column: options.column,
      table: options.table,
      refColumn: options.refColumn ?? options.column,
    },
    options,
    `references(${options.column} → ${options.table})`,
  );
}

/** Options of {@link expectDistribution}. */
export interface DistributionOptions extends ExpectationOptions {
  /** The reference profile (from `createProfile` of `@mlops/drift`, e.g. of the training data). */
  reference: Profile;
  /**
   * Columns to test.
   * @default every column of the profile
   */
  columns?: string[];
  /**
   * Largest share of tested columns allowed to drift; 0 fails on any drifted column.
   * @default 0
   */
  maxDriftShare?: number;
  /**
   * Thresholds per drift test, as `detectDrift` takes them, e.g. `{ psi: 0.2 }`.
   * @default the drift package's defaults
   */
  thresholds?: Partial<Record<DriftTestName, number>>;
  /**
   * Rows read from a SQL source for the test (the first ones the query returns).
   * @default 100_000
   */
  maxRows?: number;
}

/** The data's distribution matches a reference profile, column by column, with `detectDrift` of `@mlops/drift`. */
export function expectDistribution(options: DistributionOptions): Expectation {
  return make(
    {
      kind: 'distribution',
      reference: options.reference,
      columns: options.columns,
      maxDriftShare: options.maxDriftShare ?? 0,
      thresholds: options.thresholds,
      maxRows: options.maxRows ?? 100_000,
    },
    options,
    'distribution',
  );
}

/**
 * A SQL query returning the offending rows must return none (dbt's singular test). `{{ this }}` is the relation
 * under test and `{{ ref('schema.table') }}` any other relation. SQL sources only.
 * @example expectNoRows("SELECT * FROM {{ this }} WHERE closed_at < opened_at")
 */
export function expectNoRows(sql: string, options?: ExpectationOptions): Expectation {
  const short = sql.replace(/\s+/g, ' ').trim();
  return make(
    { kind: 'custom_sql', sql },
    options,
    `custom_sql(${short.length > 60 ? `${short.slice(0, 57)}...` : short})`,
  );
}

/** Validates expectation definitions (e.g. read from JSON), throwing `INVALID_INPUT` with field paths. */
export function parseExpectations(input: unknown): Expectation[] {
  return parseOrThrow(z.array(expectationSchema), input, 'expectations');
}

/** The small, JSON-safe parameters of an expectation shown in reports (a distribution's profile is summarised). */
export function expectationParams(e: Expectation): Record<string, unknown> {
  switch (e.kind) {
    case 'not_null':
    case 'not_empty':
      return { column: e.column };
    case 'unique':
      return { columns: e.columns };
    case 'accepted_values':
      return { column: e.column, values: e.values };
    case 'between':
      return { column: e.column, min: jsonBound(e.min), max: jsonBound(e.max) };
    case 'row_count':
      return { min: e.min ?? null, max: e.max ?? null };
    case 'freshness':
      return { column: e.column, maxAgeMs: e.maxAgeMs };
    case 'references':
      return { column: e.column, table: e.table, refColumn: e.refColumn };
    case 'class_shares':
      return { column: e.column, min: e.min ?? null, max: e.max ?? null, shares: e.shares ?? {} };
    case 'distribution':
      return {
        referenceRows: e.reference.rows,
        columns: e.columns ?? e.reference.columns.map((c) => c.name),
        maxDriftShare: e.maxDriftShare,
        thresholds: e.thresholds ?? {},
      };
    case 'custom_sql':
      return { sql: e.sql };
  }
}

function jsonBound(b: number | string | Date | undefined): number | string | null {
  if (b === undefined) return null;
  return b instanceof Date ? b.toISOString() : b;
}
