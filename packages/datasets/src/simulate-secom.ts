import { z } from 'zod';
import { createRng, type Rng } from './_internal/prng.js';
import { DatasetError } from './errors.js';

/** Number of sensor columns in SECOM. */
export const SECOM_FEATURE_COUNT = 590;

/** SECOM label: -1 = pass, 1 = fail. */
export type SecomLabel = -1 | 1;

/** Column names used for SECOM features: `sensor_000` … `sensor_589` (the UCI file has no header). */
export function secomFeatureNames(): string[] {
  return Array.from({ length: SECOM_FEATURE_COUNT }, (_, i) => `sensor_${String(i).padStart(3, '0')}`);
}

/** How the simulator built a column. */
export type SimulatedColumnKind =
  | 'constant'
  | 'mostly-missing'
  | 'skewed'
  | 'heavy-tailed'
  | 'correlated'
  | 'informative'
  | 'normal';

/** What the simulator did to one column (so examples and tests can be honest about it). */
export interface SimulatedColumn {
  name: string;
  kind: SimulatedColumnKind;
  /** Shift of the fail-class mean in standard deviations (0 unless `kind` is `informative`). */
  failShift: number;
  /** Mean drift across the whole time range, in standard deviations (0 when the column does not drift). */
  drift: number;
  /** Correlated group id, when `kind` is `correlated`. */
  group?: number;
}

/** Options of {@link simulateSecom}. */
export interface SimulateSecomOptions {
  /**
   * Seed of the PRNG: the same seed, labels and timestamps give identical output.
   * @default 42
   */
  seed?: number;
  /** Labels to simulate around (the real `secom_labels.data`: 1,567 runs, 104 fails). */
  labels: readonly SecomLabel[];
  /** Timestamps of the runs, same length as `labels` (drift follows them). */
  timestamps: readonly Date[];
  /**
   * Number of informative columns whose distribution shifts for fail runs.
   * @default 12
   */
  informative?: number;
  /**
   * Multiplier of the fail-class shift (base shift 0.6–1.2 standard deviations).
   * @default 1
   */
  effectSize?: number;
}

/** SECOM-shaped simulated data. Everything in it is tagged `simulated: true`. */
export interface SimulatedSecom {
  /** Rows × 590 readings, `NaN` for missing. */
  features: number[][];
  labels: SecomLabel[];
  timestamps: Date[];
  featureNames: string[];
  simulated: true;
  seed: number;
  /** One entry per column: kind, fail shift, drift. */
  columns: SimulatedColumn[];
}

const optionsSchema = z
  .object({
    seed: z.number().int().default(42),
    labels: z.array(z.union([z.literal(-1), z.literal(1)])).min(1),
    timestamps: z.array(z.date()).min(1),
    informative: z.number().int().min(0).max(50).default(12),
    effectSize: z.number().min(0).default(1),
  })
  .refine((o) => o.labels.length === o.timestamps.length, {
    message: 'labels and timestamps must have the same length',
    path: ['timestamps'],
  });

// Column mix modelled on the real SECOM file: 116 constant columns, 28 with more than half missing, about 4.5 % of
// all readings missing, very different scales, skewed and heavy-tailed sensors and strongly correlated groups.
const COUNTS = { constant: 116, 'mostly-missing': 28, skewed: 80, 'heavy-tailed': 40 } as const;
const GROUPS = 40;
const GROUP_SIZE = 5;
const BLOCKS = 6;
const BLOCK_SIZE = 20;

interface ColumnPlan extends SimulatedColumn {
  loc: number;
  scale: number;
  missingRate: number;
  rho: number;
  skewSigma: number;
  failScale: number;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function studentT3(rng: Rng): number {
  const n = rng.normal();
  const chi = rng.normal() ** 2 + rng.normal() ** 2 + rng.normal() ** 2;
  return n / Math.sqrt(chi / 3) / Math.sqrt(3); // t(3) has variance 3
}

/**
 * Generates SECOM-shaped sensor readings (590 columns) around given labels and timestamps, with a seeded PRNG:
 * constant, mostly-missing, skewed, heavy-tailed and correlated columns, a few informative columns that shift for
 * fail runs, `NaN` for missing values and a slow drift over time. The result is tagged `simulated: true`.
 */
export function simulateSecom(options: SimulateSecomOptions): SimulatedSecom {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new DatasetError(
      'INVALID_INPUT',
      `simulateSecom: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`,
      { details: { issues: parsed.error.issues } },
    );
  }
  const o = parsed.data;
  const rng = createRng(o.seed);
  const n = o.labels.length;
  const names = secomFeatureNames();

  // 1. Assign a kind to every column (shuffled, so kinds interleave as in the real file).
  const kinds: SimulatedColumnKind[] = [];
  for (const [kind, count] of Object.entries(COUNTS))
    for (let i = 0; i < count; i++) kinds.push(kind as SimulatedColumnKind);
  for (let i = 0; i < GROUPS * GROUP_SIZE; i++) kinds.push('correlated');
  for (let i = 0; i < o.informative; i++) kinds.push('informative');
  while (kinds.length < SECOM_FEATURE_COUNT) kinds.push('normal');
  rng.shuffle(kinds);

  let groupCursor = 0;
  const plans: ColumnPlan[] = kinds.map((kind, j) => {
    const magnitude = 10 ** rng.uniform(-2, 3.5);
    const loc = (rng.next() < 0.1 ? -1 : 1) * magnitude;
    const scale = magnitude * rng.uniform(0.005, 0.15);
    const drifts = kind !== 'constant' && kind !== 'informative' && rng.next() < 0.25;
    const plan: ColumnPlan = {
      name: names[j] as string,
      kind,
      failShift: kind === 'informative' ? (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.6, 1.2) * o.effectSize : 0,
      drift: drifts ? (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5) : 0,
      loc: kind === 'constant' && rng.next() < 0.6 ? 0 : loc,
      scale,
      missingRate: kind === 'mostly-missing' ? rng.uniform(0.5, 0.92) : rng.next() < 0.7 ? rng.uniform(0, 0.01) : 0,
      rho: rng.uniform(0.7, 0.97),
      skewSigma: rng.uniform(0.5, 1),
      failScale: rng.uniform(1.1, 1.5),
    };
    if (kind === 'correlated') plan.group = Math.floor(groupCursor++ / GROUP_SIZE);
    return plan;
  });

  // 2. Shared latent factors per correlated group: AR(1) over run order, so neighbours in time look alike.
  const latent = Array.from({ length: GROUPS }, () => {
    const f = new Float64Array(n);
    let prev = rng.normal();
    for (let i = 0; i < n; i++) {
      prev = 0.8 * prev + 0.6 * rng.normal();
      f[i] = prev;
    }
    return f;
  });

  // 3. "Stations" that were skipped for some runs: a block of columns missing together on the same rows.
  const candidates = plans
    .map((p, j) => ({ p, j }))
    .filter(({ p }) => p.kind !== 'mostly-missing' && p.kind !== 'informative')
    .map(({ j }) => j);
  rng.shuffle(candidates);
  const blockOf = new Int32Array(SECOM_FEATURE_COUNT).fill(-1);
  for (let b = 0; b < BLOCKS; b++)
    for (const j of candidates.slice(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)) blockOf[j] = b;
  const blockMissing = Array.from({ length: BLOCKS }, () => {
    const rate = rng.uniform(0.02, 0.08);
    return Array.from({ length: n }, () => rng.next() < rate);
  });

  // 4. Readings.
  const t0 = Math.min(...o.timestamps.map((d) => d.getTime()));
  const t1 = Math.max(...o.timestamps.map((d) => d.getTime()));
  const time = o.timestamps.map((d) => (t1 > t0 ? (d.getTime() - t0) / (t1 - t0) : 0));
  // Generated column by column (contiguous memory), then transposed into rows.
  const columns: Float64Array[] = [];
  for (let j = 0; j < SECOM_FEATURE_COUNT; j++) {
    const values = new Float64Array(n);
    columns.push(values);
    const p = plans[j] as ColumnPlan;
    const lnMean = Math.exp(p.skewSigma ** 2 / 2);
    const lnSd = Math.sqrt((Math.exp(p.skewSigma ** 2) - 1) * Math.exp(p.skewSigma ** 2));
    const block = blockOf[j] as number;
    for (let i = 0; i < n; i++) {
      const fail = o.labels[i] === 1;
      let z: number;
      switch (p.kind) {
        case 'constant':
          z = 0;
          break;
        case 'skewed':
          z = (Math.exp(p.skewSigma * rng.normal()) - lnMean) / lnSd;
          break;
        case 'heavy-tailed':
          z = studentT3(rng);
          break;
        case 'correlated':
          z =
            p.rho * ((latent[p.group as number] as Float64Array)[i] as number) +
            Math.sqrt(1 - p.rho ** 2) * rng.normal();
          break;
        case 'informative':
          z = fail ? p.failShift + p.failScale * rng.normal() : rng.normal();
          break;
        default:
          z = rng.normal();
      }
      if (p.kind !== 'constant') z += p.drift * (time[i] as number);
      const missing = rng.next() < p.missingRate || (block >= 0 && (blockMissing[block] as boolean[])[i] === true);
      values[i] = missing ? Number.NaN : round4(p.loc + p.scale * z);
    }
  }
  const features: number[][] = Array.from({ length: n }, (_, i) => columns.map((c) => c[i] as number));

  return {
    features,
    labels: [...o.labels],
    timestamps: o.timestamps.map((d) => new Date(d.getTime())),
    featureNames: names,
    simulated: true,
    seed: o.seed,
    columns: plans.map(({ name, kind, failShift, drift, group }) => ({
      name,
      kind,
      failShift,
      drift,
      ...(group === undefined ? {} : { group }),
    })),
  };
}
