// The class order of a served classifier's `probabilities` output. The linear and ONNX flavors both write it into the
// signature as `Class probabilities in the order ["Access","Hardware",…]`; a registry version keeps that signature.
import { MlopsError, type Signature } from '@mlops/core';

/** Resolves the class names of a served model version, in the order of its `probabilities` output. */
export type ClassResolver = (version: string) => readonly string[] | Promise<readonly string[]>;

const ORDER_RE = /in the order (\[.*\])\s*$/s;

/** Reads the class order from a signature's `probabilities` output description (linear and ONNX flavors). */
export function classesFromSignature(signature: Pick<Signature, 'outputs'> | null | undefined): string[] {
  const out = signature?.outputs.find((o) => o.name === 'probabilities');
  const m = out?.description ? ORDER_RE.exec(out.description) : null;
  if (m) {
    try {
      const parsed: unknown = JSON.parse(m[1]!);
      if (Array.isArray(parsed) && parsed.length > 0) return parsed.map(String);
    } catch {
      // not JSON: reported below
    }
  }
  throw new MlopsError('INVALID_INPUT', {
    message: 'the signature has no `probabilities` output describing its class order ("… in the order [...]")',
    details: [{ path: 'signature.outputs', message: 'Expected a probabilities output with its class order' }],
  });
}

/** The part of `@mlops/registry`'s registry that {@link registryClasses} reads. */
export interface RegistryVersionReader {
  getVersion(ref: { model: string; version: number }): Promise<{ signature: Pick<Signature, 'outputs'> | null }>;
}

/** A {@link ClassResolver} reading each served version's signature from the registry (cached per version). */
export function registryClasses(registry: RegistryVersionReader, model: string): ClassResolver {
  const cache = new Map<string, Promise<string[]>>();
  return (version) => {
    let p = cache.get(version);
    if (!p) {
      p = registry.getVersion({ model, version: Number(version) }).then((v) => classesFromSignature(v.signature));
      p.catch(() => cache.delete(version));
      cache.set(version, p);
    }
    return p;
  };
}
