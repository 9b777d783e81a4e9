/**
 * Counts of the most frequent values in bounded memory: exact while at most 2 × `capacity` distinct values were seen,
 * then a Misra–Gries summary (each kept count is a lower bound, at most `error` below the true count, and
 * error ≤ N / (capacity + 1) for N values counted). Summaries merge (Agarwal et al., "Mergeable summaries", 2012):
 * counts add up and errors add up.
 */
export class FrequentItems {
  readonly capacity: number;
  readonly counts = new Map<string, number>();
  /** Largest amount by which any count (kept or dropped) may be below the truth; 0 = exact. */
  error = 0;
  /** Values counted. */
  total = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  add(value: string, count = 1): void {
    this.total += count;
    const prior = this.counts.get(value);
    if (prior !== undefined) {
      this.counts.set(value, prior + count);
      return;
    }
    this.counts.set(value, count);
    // Shrink lazily, once 2 × capacity values are held: amortised O(log capacity) per new value.
    if (this.counts.size > 2 * this.capacity) this.shrink();
  }

  /** Adds another summary's counts and error. */
  merge(other: FrequentItems): this {
    for (const [v, c] of other.counts) this.counts.set(v, (this.counts.get(v) ?? 0) + c);
    this.total += other.total;
    this.error += other.error;
    if (this.counts.size > 2 * this.capacity) this.shrink();
    return this;
  }

  /**
   * Misra–Gries step: subtract the (capacity + 1)-th largest count c from every count and drop those at or below 0.
   * At least (capacity + 1)·c is subtracted each time, so the errors add up to at most N / (capacity + 1).
   */
  shrink(): void {
    if (this.counts.size <= this.capacity) return;
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.capacity] as number;
    for (const [v, c] of this.counts) {
      if (c <= cut) this.counts.delete(v);
      else this.counts.set(v, c - cut);
    }
    this.error += cut;
  }
}
