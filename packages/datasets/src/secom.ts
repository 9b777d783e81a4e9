import { readFile } from 'node:fs/promises';
import { DatasetError, isDatasetError } from './errors.js';
import { SECOM_FEATURES_FILE, SECOM_LABELS_FILE } from './files.js';
import { type DatasetSource, type ResolveOptions, resolveDatasetFile } from './resolve.js';
import { SECOM_FEATURE_COUNT, type SecomLabel, secomFeatureNames, simulateSecom } from './simulate-secom.js';

/** Number of production runs in SECOM. */
export const SECOM_ROWS = 1567;

// secom.data has no published sha256 (see the README): its shape and the opening values of its first and last rows
// (read from the copy in ysraell/random-forest-mc@f520ba46, datasets/secom.data) stand in for a digest.
const FIRST_ROW = [3030.93, 2564, 2187.7333, 1411.1265, 1.3602, 100, 97.6133, 0.1242];
const LAST_ROW = [2944.92, 2450.76, 2195.4444, 2914.1792, 1.5978, 100, 85.1011, 0.1235];

/** Labels and timestamps from `secom_labels.data`. */
export interface SecomLabels {
  /** -1 = pass, 1 = fail (1,463 and 104 in the real file). */
  labels: SecomLabel[];
  /** Run times. The file has no time zone: they are read as UTC. */
  timestamps: Date[];
  source: DatasetSource;
}

/** SECOM runs: features (real or simulated), labels and timestamps, with provenance. */
export interface SecomData {
  /** Rows × 590 sensor readings, `NaN` for missing. */
  features: number[][];
  labels: SecomLabel[];
  timestamps: Date[];
  /** `sensor_000` … `sensor_589`. */
  featureNames: string[];
  /** True when `features` came from {@link simulateSecom}; labels and timestamps are always the real ones. */
  simulated: boolean;
  /** Where the features came from (for simulated data: the labels file, with `simulated: true`). */
  source: DatasetSource;
  /** Where the labels and timestamps came from. */
  labelsSource: DatasetSource;
}

/** Options of {@link loadSecom} and {@link loadSecomLabels}. */
export interface SecomOptions extends Omit<ResolveOptions, 'path'> {
  /**
   * Explicit path of `secom.data`.
   * @default undefined (resolved like every dataset file)
   */
  featuresPath?: string | undefined;
  /**
   * Explicit path of `secom_labels.data`.
   * @default undefined (resolved like every dataset file)
   */
  labelsPath?: string | undefined;
  /**
   * Generate SECOM-shaped readings around the real labels and timestamps instead of reading `secom.data`.
   * @default false
   */
  simulate?: boolean | undefined;
  /**
   * Seed of the simulator (only with `simulate: true`).
   * @default 42
   */
  seed?: number | undefined;
}

const LABEL_LINE = /^(-1|1) "(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})"$/;

/** Parses the text of `secom_labels.data` (`-1 "19/07/2008 11:55:00"`, day-first, read as UTC). */
export function parseSecomLabels(text: string): { labels: SecomLabel[]; timestamps: Date[] } {
  const labels: SecomLabel[] = [];
  const timestamps: Date[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const m = LABEL_LINE.exec(line);
    if (!m) {
      throw new DatasetError(
        'INVALID_INPUT',
        `secom_labels.data line ${i + 1} is not '<-1|1> "dd/mm/yyyy HH:MM:SS"': ${JSON.stringify(line.slice(0, 60))}`,
        {
          details: { line: i + 1 },
        },
      );
    }
    const [, label, dd, mm, yyyy, hh, mi, ss] = m.map(Number) as number[];
    const date = new Date(Date.UTC(yyyy as number, (mm as number) - 1, dd, hh, mi, ss));
    if (date.getUTCDate() !== dd || date.getUTCMonth() !== (mm as number) - 1) {
      throw new DatasetError('INVALID_INPUT', `secom_labels.data line ${i + 1} has an impossible date`, {
        details: { line: i + 1 },
      });
    }
    labels.push(label as SecomLabel);
    timestamps.push(date);
  });
  return { labels, timestamps };
}

/** Parses the text of `secom.data`: space-separated, 590 numbers per line, `NaN` for missing. */
export function parseSecomFeatures(text: string): number[][] {
  const lines = text.split(/\r?\n/);
  while (lines.at(-1) === '') lines.pop();
  return lines.map((line, i) => {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== SECOM_FEATURE_COUNT) {
      throw new DatasetError(
        'INVALID_INPUT',
        `secom.data line ${i + 1} has ${fields.length} values; expected ${SECOM_FEATURE_COUNT}`,
        {
          details: { line: i + 1, values: fields.length },
        },
      );
    }
    return fields.map((f, j) => {
      if (f === 'NaN') return Number.NaN;
      const v = Number(f);
      if (!Number.isFinite(v)) {
        throw new DatasetError(
          'INVALID_INPUT',
          `secom.data line ${i + 1}, column ${j + 1}: ${JSON.stringify(f)} is not a number`,
          {
            details: { line: i + 1, column: j + 1 },
          },
        );
      }
      return v;
    });
  });
}

function labelsResolveOptions(options: SecomOptions): ResolveOptions {
  const { featuresPath: _f, labelsPath, simulate: _s, seed: _seed, ...rest } = options;
  return { ...rest, path: labelsPath };
}

/** Loads the real SECOM labels and timestamps (1,567 runs), sha256-verified. */
export async function loadSecomLabels(options: SecomOptions = {}): Promise<SecomLabels> {
  const source = await resolveDatasetFile(SECOM_LABELS_FILE, labelsResolveOptions(options));
  const parsed = parseSecomLabels(await readFile(source.path, 'latin1'));
  return { ...parsed, source };
}

function simulateHint(): string {
  return (
    'The SECOM feature file (secom.data, 1,567 × 590) is not available here. Use simulated readings around the real ' +
    'labels and timestamps: pass { simulate: true } to loadSecom(), or --simulate to the SECOM example/CLI. ' +
    'Everything simulated is tagged simulated: true. For the real data, put secom.data in $MLOPS_DATASETS_DIR/secom/ ' +
    'or allow the download from the UCI archive.'
  );
}

/**
 * Loads SECOM: the real `secom.data` when it can be found or downloaded, or, with `simulate: true`, readings from
 * {@link simulateSecom} around the real labels and timestamps (then `simulated` and `source.simulated` are true).
 */
export async function loadSecom(options: SecomOptions = {}): Promise<SecomData> {
  const labels = await loadSecomLabels(options);
  if (options.simulate) {
    const sim = simulateSecom({ seed: options.seed ?? 42, labels: labels.labels, timestamps: labels.timestamps });
    return {
      features: sim.features,
      labels: sim.labels,
      timestamps: sim.timestamps,
      featureNames: sim.featureNames,
      simulated: true,
      source: { ...labels.source, simulated: true },
      labelsSource: labels.source,
    };
  }
  const { featuresPath, labelsPath: _l, simulate: _s, seed: _seed, ...rest } = options;
  let source: DatasetSource;
  try {
    source = await resolveDatasetFile(SECOM_FEATURES_FILE, { ...rest, path: featuresPath });
  } catch (err) {
    if (isDatasetError(err) && (err.code === 'NOT_FOUND' || err.code === 'DOWNLOAD_FAILED')) {
      throw new DatasetError(err.code, `${simulateHint()}\n${err.message.replace(/^\[@mlops\/datasets\] /, '')}`, {
        cause: err,
        details: { ...err.details, hint: 'simulate' },
      });
    }
    throw err;
  }
  const features = parseSecomFeatures(await readFile(source.path, 'latin1'));
  checkFeatures(features, labels.labels.length, source.path);
  return {
    features,
    labels: labels.labels,
    timestamps: labels.timestamps,
    featureNames: secomFeatureNames(),
    simulated: false,
    source,
    labelsSource: labels.source,
  };
}

function checkFeatures(features: number[][], labelCount: number, path: string): void {
  if (features.length !== SECOM_ROWS || features.length !== labelCount) {
    throw new DatasetError(
      'INVALID_INPUT',
      `${path} has ${features.length} rows; SECOM has ${SECOM_ROWS} (one per line of secom_labels.data, ${labelCount} here)`,
      { details: { path, rows: features.length, expected: SECOM_ROWS } },
    );
  }
  const same = (row: number[] | undefined, expected: number[]) => expected.every((v, i) => row?.[i] === v);
  if (!same(features[0], FIRST_ROW) || !same(features.at(-1), LAST_ROW)) {
    throw new DatasetError(
      'CHECKSUM_MISMATCH',
      `${path} has the right shape but is not the UCI secom.data: its first and last rows should start with ` +
        `${FIRST_ROW.join(' ')} and ${LAST_ROW.join(' ')}. Replace it with the file from the UCI archive ` +
        '(https://archive.ics.uci.edu/dataset/179/secom).',
      { details: { path, expectedFirstRow: FIRST_ROW, expectedLastRow: LAST_ROW } },
    );
  }
}
