import { createHash } from 'node:crypto';
import { MlopsError } from '@mlops/core';

/**
 * JSON with sorted object keys, so equal values always give equal text (and equal hashes). Typed arrays become
 * arrays, `undefined` object fields are left out as `JSON.stringify` does; non-finite numbers, bigints, functions
 * and symbols are refused, since they would not survive a round trip through the object store.
 */
export function canonicalJson(value: unknown, path = 'value'): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return canonicalJson(Array.from(value as unknown as ArrayLike<number>), path);
      }
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}.${i}`)).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw notJson(path, `an instance of ${(value as object).constructor?.name ?? 'a class'}`);
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw notJson(path, `a ${typeof value}`);
  }
}

function notJson(path: string, what: string): MlopsError {
  return new MlopsError('INVALID_INPUT', {
    message: `${path} is not JSON-serialisable (${what}); return plain JSON or give the step an output schema that maps it`,
    details: [{ path, message: `not JSON-serialisable: ${what}` }],
  });
}

/** Hex sha256 of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
