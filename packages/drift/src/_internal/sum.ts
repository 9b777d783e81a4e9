/** Neumaier-compensated running sum: keeps long sums (1e6+ terms) within a few ulps, like numpy's pairwise sum. */
export function createSum(): { add(x: number): void; value(): number } {
  let s = 0;
  let c = 0;
  return {
    add(x: number) {
      const t = s + x;
      if (Math.abs(s) >= Math.abs(x)) c += s - t + x;
      else c += x - t + s;
      s = t;
    },
    value() {
      // an infinite sum leaves a NaN compensation (∞ − ∞): the sum is the infinity
      return Number.isFinite(s) ? s + c : s;
    },
  };
}

/** Compensated sum of a typed array or plain array. */
export function sumOf(a: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const t = s + x;
    if (Math.abs(s) >= Math.abs(x)) c += s - t + x;
    else c += x - t + s;
    s = t;
  }
  return Number.isFinite(s) ? s + c : s;
}
