import { z } from 'zod';

/** Largest serialized size of a reference profile accepted by default: 16 MiB. */
export const DEFAULT_MAX_PROFILE_BYTES = 16 * 1024 * 1024;

/**
 * The envelope every stored reference profile carries. The registry validates only the envelope; the body belongs
 * to the package that wrote it (`@mlops/drift` owns the profile schema).
 */
export const profileEnvelopeSchema = z.looseObject({
  kind: z.string().min(1).max(128),
  schemaVersion: z.number().int().positive(),
});

/** A reference profile: an opaque JSON object with a `{ kind, schemaVersion }` envelope. */
export type ReferenceProfile = z.infer<typeof profileEnvelopeSchema>;

/** The UTF-8 size of `value` serialized as JSON. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
