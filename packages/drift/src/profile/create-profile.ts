import { type ColumnMapping, type DataInput, type TypedColumn, typeData } from './input.js';
import { createReservoir } from './reservoir.js';
import { type ColumnProfile, markValidProfile, PROFILE_KIND, PROFILE_SCHEMA_VERSION, type Profile } from './schema.js';
import { byCountThenValue, countValues, summarize } from './summary.js';
import { tokenize } from './tokenize.js';

/** Options of {@link createProfile}. */
export interface ProfileOptions {
  /** Column type overrides and the target/prediction columns. @default types inferred from the values */
  columnMapping?: ColumnMapping;
  /** Raw values kept per column in the reservoir sample. @default 10000 */
  sampleSize?: number;
  /** Seed of the reservoir sampling, so the same data always gives the same profile. @default 42 */
  seed?: number;
  /** Most frequent categories kept per categorical/boolean column; the rest are summed as `otherCount`. @default 100 */
  topCategories?: number;
  /** Most frequent tokens kept per text column. @default 200 */
  topTokens?: number;
  /** Timestamp recorded in the profile; left out by default so a profile depends on its data only. @default undefined */
  createdAt?: string;
}

const DEFAULTS = { sampleSize: 10_000, seed: 42, topCategories: 100, topTokens: 200 };

/** Builds the versioned reference profile of a dataset (types, counts, reservoir samples, summaries). */
export function createProfile(data: DataInput, options: ProfileOptions = {}): Profile {
  const opts = { ...DEFAULTS, ...options };
  if (!Number.isInteger(opts.sampleSize) || opts.sampleSize < 1) {
    throw new RangeError(`sampleSize must be a positive integer, got ${opts.sampleSize}`);
  }
  const { rows, columns } = typeData(data, opts.columnMapping);
  const profile: Profile = {
    kind: PROFILE_KIND,
    schemaVersion: PROFILE_SCHEMA_VERSION,
    rows,
    sampleSize: opts.sampleSize,
    seed: opts.seed,
    columns: columns.map((c) => profileColumn(c, opts)),
  };
  if (opts.createdAt !== undefined) profile.createdAt = opts.createdAt;
  return markValidProfile(profile);
}

function profileColumn(c: TypedColumn, opts: typeof DEFAULTS): ColumnProfile {
  const base = { name: c.name, type: c.type, role: c.role, count: c.rows, missing: c.missing };
  if (c.numbers) {
    const reservoir = createReservoir<number>(opts.sampleSize, opts.seed, c.name);
    for (let i = 0; i < c.numbers.length; i++) reservoir.add(c.numbers[i] as number);
    return {
      ...base,
      distinct: new Set(c.numbers).size,
      // Stored sorted: the order of a uniform sample carries no information, and drift tests then skip a sort.
      sample: reservoir.values().sort((a, b) => a - b),
      numeric: summarize(c.numbers),
    };
  }
  const strings = c.strings ?? [];
  const reservoir = createReservoir<string>(opts.sampleSize, opts.seed, c.name);
  for (const s of strings) reservoir.add(s);
  const counts = countValues(strings);
  const out: ColumnProfile = { ...base, distinct: counts.length, sample: reservoir.values() };
  if (c.type === 'text') {
    out.text = textSummary(strings, opts.topTokens);
  } else {
    const top = counts.slice(0, opts.topCategories);
    const kept = top.reduce((s, x) => s + x.count, 0);
    out.categories = { top, otherCount: strings.length - kept };
  }
  return out;
}

/** Token and length statistics of a text column. */
export function textSummary(texts: readonly string[], topTokens: number): NonNullable<ColumnProfile['text']> {
  const tokenCounts = new Map<string, number>();
  let tokens = 0;
  let chars = 0;
  let minLength = Number.POSITIVE_INFINITY;
  let maxLength = 0;
  for (const t of texts) {
    const words = tokenize(t);
    tokens += words.length;
    chars += t.length;
    if (t.length < minLength) minLength = t.length;
    if (t.length > maxLength) maxLength = t.length;
    for (const w of words) tokenCounts.set(w, (tokenCounts.get(w) ?? 0) + 1);
  }
  const n = texts.length;
  const top = [...tokenCounts]
    .map(([value, count]) => ({ value, count }))
    .sort(byCountThenValue)
    .slice(0, topTokens)
    .map(({ value, count }) => ({ token: value, count }));
  return {
    meanTokens: n > 0 ? tokens / n : 0,
    meanLength: n > 0 ? chars / n : 0,
    minLength: n > 0 ? minLength : 0,
    maxLength,
    vocabularySize: tokenCounts.size,
    topTokens: top,
  };
}
