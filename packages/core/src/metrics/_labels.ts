import { MlopsError } from '../errors.js';

/** A class label: a string or a number. */
export type ClassLabel = string | number;

/** Throws an `INVALID_INPUT` {@link MlopsError} with one field issue. */
export function invalid(message: string, path = ''): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/** Checks a label array: non-empty, only strings or only finite numbers. */
export function checkLabels(y: readonly unknown[], name: string): 'string' | 'number' {
  if (!Array.isArray(y)) invalid(`${name} must be an array of labels`, name);
  if (y.length === 0) invalid(`${name} is empty`, name);
  let t: 'string' | 'number' | undefined;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    const vt = typeof v;
    if (!(vt === 'string' || (vt === 'number' && Number.isFinite(v)))) {
      invalid(`${name}[${i}] must be a string or a finite number`, `${name}.${i}`);
    }
    if (t === undefined) t = vt as 'string' | 'number';
    else if (t !== vt) invalid(`${name} mixes string and number labels (index ${i})`, `${name}.${i}`);
  }
  return t!;
}

/** Checks a pair of label arrays: same length and same label type. */
export function checkPair(yTrue: readonly ClassLabel[], yPred: readonly ClassLabel[]): void {
  const a = checkLabels(yTrue, 'yTrue');
  const b = checkLabels(yPred, 'yPred');
  if (yTrue.length !== yPred.length) invalid(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`, 'yPred');
  if (a !== b) invalid('yTrue and yPred mix string and number labels', 'yPred');
}

/** Compares labels the way numpy sorts them: numbers numerically, strings by code point. */
export function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    let c = x.charCodeAt(i);
    let d = y.charCodeAt(i);
    if (c === d) continue;
    if (c >= 0xd800) c = c <= 0xdfff ? c + 0x2000 : c - 0x800;
    if (d >= 0xd800) d = d <= 0xdfff ? d + 0x2000 : d - 0x800;
    return c < d ? -1 : 1;
  }
  return x.length - y.length;
}

/** The sorted distinct labels of the given arrays (sklearn `unique_labels`). */
export function uniqueLabels(...ys: readonly (readonly ClassLabel[])[]): ClassLabel[] {
  const s = new Set<ClassLabel>();
  for (const y of ys) for (const v of y) s.add(v);
  return [...s].sort(compareLabels);
}
