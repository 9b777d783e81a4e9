import { invalidInput, MlopsError, zodIssues } from '@mlops/core';
import { z } from 'zod';
import { readMetadataProps } from './_internal/graph.js';

/** The file an ONNX model is stored under in a model package. */
export const ONNX_MODEL_FILE = 'model.onnx';

/**
 * What string inputs use for a missing value (`null`) inside graphs made by {@link exportToOnnx}: a Unicode
 * noncharacter that never occurs in real text (onnxruntime cuts strings at `\0`, so that cannot serve).
 */
export const ONNX_MISSING_STRING = '\uFFFF';

/** `metadata_props` keys the exporter writes and the flavor reads back. */
export const ONNX_METADATA_KEYS = {
  classLabels: 'mlops.class_labels',
  labelOutputs: 'mlops.label_outputs',
  missingString: 'mlops.missing_string',
  optionalInputs: 'mlops.optional_inputs',
  sparseInput: 'mlops.sparse_input',
} as const;

const sparseInputSchema = z.object({
  indices: z.string().min(1),
  values: z.string().min(1),
  nFeatures: z.int().positive(),
});

/** A sparse-input model: a CSR matrix is fed as padded `indices` / `values` inputs. */
export type OnnxSparseInput = z.infer<typeof sparseInputSchema>;

const classLabelsSchema = z.union([z.array(z.string()).min(1), z.array(z.number()).min(1)]);

/** Schema of the flavor config stored in a model package manifest. */
export const onnxFlavorConfigSchema = z.object({
  /** Always `'onnx'`. */
  format: z.literal('onnx'),
  /** The file holding the model bytes. */
  file: z.string().min(1),
  /** Class labels: int64 values of the label outputs are indices into this list. */
  classLabels: classLabelsSchema.optional(),
  /** Outputs holding class indices (mapped through `classLabels`). */
  labelOutputs: z.array(z.string().min(1)),
  /** The string fed for a missing (`null`) string value. */
  missingString: z.string(),
  /** Inputs that may be missing (`null` / `NaN`), as the signature reports them. */
  optionalInputs: z.array(z.string()),
  /** Set when the model takes sparse rows as padded `indices` / `values` inputs. */
  sparseInput: sparseInputSchema.nullable(),
});

/** The flavor config of an ONNX model package. */
export type OnnxFlavorConfig = z.infer<typeof onnxFlavorConfigSchema>;

/** An ONNX model with what the flavor needs to turn its outputs back into labels. */
export interface OnnxModel {
  /** The serialized `ModelProto` (the `.onnx` file). */
  bytes: Uint8Array;
  /**
   * Class labels in class-index order: int64 values of `labelOutputs` are mapped through it.
   * @default read from the model's `mlops.class_labels` metadata, else none (int64 labels become numbers)
   */
  classLabels?: readonly string[] | readonly number[];
  /**
   * Outputs holding class labels.
   * @default read from the model's metadata, else ['label', 'output_label'] (skl2onnx's name)
   */
  labelOutputs?: readonly string[];
  /**
   * String fed for a missing string value.
   * @default read from the model's metadata, else '' (empty string)
   */
  missingString?: string;
  /**
   * Inputs that may be missing.
   * @default read from the model's metadata, else none
   */
  optionalInputs?: readonly string[];
  /**
   * Names of the padded sparse inputs (a CSR matrix is fed through them).
   * @default read from the model's metadata, else null (none)
   */
  sparseInput?: OnnxSparseInput | null;
}

function metaJson(meta: Record<string, string>, key: string): unknown {
  const v = meta[key];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** Resolves a model's flavor config: explicit fields first, then the model's `metadata_props`, then defaults. */
export function resolveOnnxConfig(model: OnnxModel | Uint8Array): OnnxFlavorConfig {
  const m: OnnxModel = model instanceof Uint8Array ? { bytes: model } : model;
  if (!(m.bytes instanceof Uint8Array) || m.bytes.length === 0) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'an ONNX model needs its bytes (a non-empty Uint8Array)',
      details: [{ path: 'bytes', message: 'Expected a non-empty Uint8Array' }],
    });
  }
  const meta = readMetadataProps(m.bytes);
  const raw = {
    format: 'onnx',
    file: ONNX_MODEL_FILE,
    classLabels: m.classLabels ? [...m.classLabels] : metaJson(meta, ONNX_METADATA_KEYS.classLabels),
    labelOutputs: m.labelOutputs
      ? [...m.labelOutputs]
      : (metaJson(meta, ONNX_METADATA_KEYS.labelOutputs) ?? ['label', 'output_label']),
    missingString: m.missingString ?? meta[ONNX_METADATA_KEYS.missingString] ?? '',
    optionalInputs: m.optionalInputs
      ? [...m.optionalInputs]
      : (metaJson(meta, ONNX_METADATA_KEYS.optionalInputs) ?? []),
    sparseInput: m.sparseInput !== undefined ? m.sparseInput : (metaJson(meta, ONNX_METADATA_KEYS.sparseInput) ?? null),
  };
  const r = onnxFlavorConfigSchema.safeParse(raw);
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid ONNX model settings', details);
  }
  return r.data;
}
