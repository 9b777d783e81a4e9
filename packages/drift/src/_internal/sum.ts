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
      return s + c;
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
  return s + c;
}
