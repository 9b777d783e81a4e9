// Small column helpers: SECOM's rows as frames, column picks and concatenations, the statistics drift injection needs.
import type { Frame } from '@mlops/core/preprocessing';

/** Columns of `rows` as a frame; missing readings stay NaN (or become `missing` when given). */
export function frameOf(
  names: readonly string[],
  rows: readonly (readonly number[])[],
  missing: number | null = Number.NaN,
): Frame {
  const frame: Record<string, (number | null)[]> = {};
  names.forEach((name, j) => {
    frame[name] = rows.map((r) => (Number.isNaN(r[j]!) ? missing : r[j]!));
  });
  return frame as Frame;
}

/** The `names` columns of `frame`, a missing reading as `null` (what a profile and a drift report take). */
export function pick(frame: Frame, names: readonly string[]): Record<string, (number | null)[]> {
  return Object.fromEntries(
    names.map((n) => [
      n,
      Array.from(frame[n] as ArrayLike<number | null>, (v) => (v === null || Number.isNaN(v) ? null : v)),
    ]),
  );
}

/** Row-wise concatenation of frames with the same columns. */
export function concatFrames(names: readonly string[], frames: readonly Frame[]): Frame {
  const out: Record<string, (number | null)[]> = {};
  for (const n of names) out[n] = frames.flatMap((f) => Array.from(f[n] as ArrayLike<number | null>));
  return out as Frame;
}

/** Median of the readings that are not NaN (0 when there are none). */
export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

/** Population standard deviation of the readings that are not NaN. */
export function std(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v));
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length));
}
