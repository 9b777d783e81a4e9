import { z } from 'zod';
import { signatureSchema } from '../signature/signature.js';

/** The `kind` of a model package manifest. */
export const MODEL_PACKAGE_KIND = 'mlops.model-package';

const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'Expected sha256:<64 lowercase hex>');

const jsonValueSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);

/** A relative POSIX path inside a package: no leading `/`, no `.`/`..` segments, no backslashes. */
export const packagePathSchema = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'Expected a relative path without "." or ".." segments',
  );

/** One file of a package, by digest. */
export const packageFileSchema = z.object({
  path: packagePathSchema,
  digest: digestSchema,
  size: z.int().nonnegative(),
});

/** Schema of a model package manifest (what MLflow calls the MLmodel file), stored as one JSON object. */
export const modelPackageManifestSchema = z.object({
  kind: z.literal(MODEL_PACKAGE_KIND),
  schemaVersion: z.literal(1),
  /** The flavor that reads the files, and its config. */
  flavor: z.object({ name: z.string().min(1), config: z.record(z.string(), jsonValueSchema).default({}) }),
  signature: signatureSchema,
  /** The flavor's files. */
  files: z.array(packageFileSchema),
  /** Fitted preprocessing state (opaque JSON with a `kind`), stored as its own object; null when none. */
  preprocessing: z
    .object({ kind: z.string().min(1), digest: digestSchema, size: z.int().nonnegative() })
    .nullable()
    .default(null),
  /** Evaluation metrics at packaging time, e.g. `{ accuracy: 0.91 }`. */
  metrics: z.record(z.string(), z.number()).default({}),
  /** Where the model came from. */
  lineage: z
    .object({
      runId: z.string().optional(),
      datasetVersions: z.array(z.string()).optional(),
      gitCommit: z.string().optional(),
    })
    .default({}),
  /** Free-form JSON (owner, description, tags). */
  metadata: z.record(z.string(), jsonValueSchema).default({}),
  createdAt: z.iso.datetime(),
});

/** A model package manifest. */
export type ModelPackageManifest = z.infer<typeof modelPackageManifestSchema>;

/** One file entry of a {@link ModelPackageManifest}. */
export type PackageFile = z.infer<typeof packageFileSchema>;
