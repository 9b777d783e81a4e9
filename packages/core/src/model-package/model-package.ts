import type { Columns, ColumnValues, ModelInput } from '../contracts/columns.js';
import type { Flavor, JsonValue } from '../contracts/flavor.js';
import type { Predictor } from '../contracts/predictor.js';
import { MlopsError } from '../errors.js';
import { digestOf } from '../objects/digest.js';
import type { ObjectStore } from '../objects/object-store.js';
import { recordObjectRef } from '../objects/refs.js';
import { loadTransformer } from '../preprocessing/pipeline.js';
import type { FittedTransformer, Frame } from '../preprocessing/types.js';
import { parseSignature, type SignatureInput } from '../signature/signature.js';
import type { Store } from '../store/store.js';
import { zodIssues } from '../validation.js';
import {
  MODEL_PACKAGE_KIND,
  type ModelPackageManifest,
  modelPackageManifestSchema,
  type PackageFile,
  packagePathSchema,
} from './manifest.js';

/** The object-reference kind recorded for every blob of a saved package. */
export const MODEL_PACKAGE_REF_KIND = 'model-package';

/** Fitted preprocessing: a fitted transformer (anything with `toJSON()`), or its JSON state. */
export type PreprocessingInput = { toJSON(): unknown } | { kind: string; [key: string]: unknown };

/** Options of {@link saveModelPackage}. */
export interface SaveModelPackageOptions<M> {
  /** Where the files and the manifest go. */
  objects: ObjectStore;
  /**
   * When given, object references (`kind: 'model-package'`, owner = the package digest) are recorded so garbage
   * collection keeps the blobs.
   * @default undefined (no references recorded)
   */
  store?: Store;
  /** The flavor that serialises `model`. */
  flavor: Flavor<M>;
  /** The trained model. */
  model: M;
  /** The package's inputs (raw, before preprocessing) and outputs. */
  signature: SignatureInput;
  /**
   * Fitted preprocessing, applied to inputs before the model at load time.
   * @default undefined (none)
   */
  preprocessing?: PreprocessingInput;
  /**
   * Evaluation metrics.
   * @default {}
   */
  metrics?: Record<string, number>;
  /** The run, dataset versions and commit the model came from. */
  lineage: { runId?: string; datasetVersions?: string[]; gitCommit?: string };
  /**
   * Free-form JSON.
   * @default {}
   */
  metadata?: Record<string, JsonValue>;
}

/** The result of {@link saveModelPackage}. */
export interface SavedModelPackage {
  /** Digest of the manifest: the package id. */
  digest: string;
  manifest: ModelPackageManifest;
}

function invalidManifest(what: string, issues: { path: string; message: string }[]): MlopsError {
  return new MlopsError('INVALID_INPUT', {
    message: `${what}: ${issues
      .slice(0, 5)
      .map((i) => `${i.path || '(root)'}: ${i.message}`)
      .join('; ')}`,
    details: issues,
  });
}

function preprocessingJson(p: PreprocessingInput): { kind: string; json: unknown } {
  const json = typeof (p as { toJSON?: unknown }).toJSON === 'function' ? (p as { toJSON(): unknown }).toJSON() : p;
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || kind === '') {
    throw invalidManifest('invalid preprocessing', [{ path: 'preprocessing.kind', message: 'Expected a string kind' }]);
  }
  return { kind, json };
}

/**
 * Saves a model as a package: the flavor's files, the preprocessing state and a manifest, each stored in the object
 * store (content-addressed). Returns the manifest digest, which identifies the package.
 */
export async function saveModelPackage<M>(opts: SaveModelPackageOptions<M>): Promise<SavedModelPackage> {
  const signature = parseSignature(opts.signature);
  const modelFiles = await opts.flavor.save(opts.model);
  const files: PackageFile[] = [];
  for (const path of Object.keys(modelFiles.files).sort()) {
    const p = packagePathSchema.safeParse(path);
    if (!p.success)
      throw invalidManifest(`flavor ${opts.flavor.name} wrote a bad path`, zodIssues(p.error, ['files', path]));
    const { digest, size } = await opts.objects.put(modelFiles.files[path]!);
    files.push({ path, digest, size });
  }
  let preprocessing: ModelPackageManifest['preprocessing'] = null;
  if (opts.preprocessing) {
    const { kind, json } = preprocessingJson(opts.preprocessing);
    const { digest, size } = await opts.objects.put(JSON.stringify(json));
    preprocessing = { kind, digest, size };
  }
  const parsed = modelPackageManifestSchema.safeParse({
    kind: MODEL_PACKAGE_KIND,
    schemaVersion: 1,
    flavor: { name: opts.flavor.name, config: modelFiles.config ?? {} },
    signature,
    files,
    preprocessing,
    metrics: opts.metrics ?? {},
    lineage: opts.lineage,
    metadata: opts.metadata ?? {},
    createdAt: new Date().toISOString(),
  });
  if (!parsed.success) throw invalidManifest('invalid model package', zodIssues(parsed.error));
  const manifest = parsed.data;
  const { digest } = await opts.objects.put(JSON.stringify(manifest, null, 2));
  if (opts.store) {
    const digests = new Set([digest, ...files.map((f) => f.digest), ...(preprocessing ? [preprocessing.digest] : [])]);
    await opts.store.transaction(async (tx) => {
      for (const d of digests) await recordObjectRef(tx, { digest: d, kind: MODEL_PACKAGE_REF_KIND, ownerId: digest });
    });
  }
  return { digest, manifest };
}

/** Reads and validates a package manifest (verified against its digest). */
export async function readModelPackageManifest(objects: ObjectStore, digest: string): Promise<ModelPackageManifest> {
  const bytes = await verifiedBytes(objects, digest, 'manifest');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new MlopsError('INVALID_INPUT', { message: `object ${digest} is not a model package (not JSON)`, cause });
  }
  const r = modelPackageManifestSchema.safeParse(json);
  if (!r.success) throw invalidManifest(`object ${digest} is not a valid model package`, zodIssues(r.error));
  return r.data;
}

// Re-hashes what the store returned, so a store implementation that skips verification cannot hand bad bytes on.
async function verifiedBytes(objects: ObjectStore, digest: string, what: string, size?: number): Promise<Buffer> {
  const bytes = await objects.readBytes(digest);
  const actual = digestOf(bytes);
  if (actual !== digest || (size !== undefined && bytes.length !== size)) {
    throw new MlopsError('CHECKSUM_MISMATCH', {
      message: `${what} ${digest} is corrupt: read ${bytes.length} bytes hashing to ${actual}`,
      details: { digest, actual, size: bytes.length },
    });
  }
  return bytes;
}

/** Options of {@link loadModelPackage}. */
export interface LoadModelPackageOptions {
  objects: ObjectStore;
  /** The package id (manifest digest). */
  digest: string;
  /** Flavors to choose from, by the manifest's flavor name. */
  flavors: readonly Flavor<never>[];
  /**
   * Rebuilds the fitted preprocessing from its JSON state.
   * @default loadTransformer from core's preprocessing (every built-in transformer and pipelines)
   */
  loadPreprocessing?: (json: unknown) => { transform(data: Frame): unknown };
}

/** A loaded package: its manifest and a predictor applying preprocessing, then the model. */
export interface LoadedModelPackage {
  manifest: ModelPackageManifest;
  predictor: Predictor;
}

function cellOf(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  throw new MlopsError('INVALID_INPUT', { message: 'preprocessing takes scalar columns only' });
}

/** Converts typed columns to the plain-array frame preprocessing takes (booleans → 0/1, NaN stays missing). */
export function columnsToFrame(columns: Columns): Frame {
  const out: Frame = {};
  for (const [name, col] of Object.entries(columns)) {
    out[name] = Array.from(col as ArrayLike<unknown>, cellOf);
  }
  return out;
}

/**
 * Loads a package: reads the manifest, verifies every file's digest (and size) BEFORE giving the bytes to the
 * flavor, rebuilds the preprocessing, and returns a predictor that applies preprocessing then the model. A tampered
 * blob gives `CHECKSUM_MISMATCH`; a flavor missing from `flavors` gives `NOT_FOUND` naming it.
 */
export async function loadModelPackage(opts: LoadModelPackageOptions): Promise<LoadedModelPackage> {
  const manifest = await readModelPackageManifest(opts.objects, opts.digest);
  const flavor = opts.flavors.find((f) => f.name === manifest.flavor.name);
  if (!flavor) {
    throw new MlopsError('NOT_FOUND', {
      message: `model package ${opts.digest} needs flavor "${manifest.flavor.name}", which was not given (have: ${
        opts.flavors.map((f) => f.name).join(', ') || 'none'
      })`,
      details: { flavor: manifest.flavor.name },
    });
  }
  const files: Record<string, Uint8Array> = {};
  for (const f of manifest.files) {
    files[f.path] = await verifiedBytes(opts.objects, f.digest, `file ${f.path} of model package`, f.size);
  }
  let pre: { transform(data: Frame): unknown } | undefined;
  if (manifest.preprocessing) {
    const p = manifest.preprocessing;
    const bytes = await verifiedBytes(opts.objects, p.digest, 'preprocessing of model package', p.size);
    const load = opts.loadPreprocessing ?? ((json: unknown) => loadTransformer(json) as FittedTransformer<Frame>);
    pre = load(JSON.parse(bytes.toString('utf8')));
  }
  const inner = await flavor.load(
    { files, config: manifest.flavor.config as Record<string, JsonValue> },
    { signature: manifest.signature, preprocessed: pre !== undefined },
  );
  const inputNames = manifest.signature.inputs.map((f) => f.name);
  const predictor: Predictor = {
    signature: manifest.signature,
    batchable: inner.batchable,
    async predict(inputs: Columns) {
      if (!pre) return inner.predict(inputs);
      const raw: Record<string, ColumnValues> = {};
      for (const n of inputNames) if (inputs[n] !== undefined) raw[n] = inputs[n];
      return inner.predict(pre.transform(columnsToFrame(raw)) as ModelInput);
    },
  };
  if (inner.close) predictor.close = () => inner.close!();
  return { manifest, predictor };
}
