import { hashString, seededRandom } from './rng.js';

/** A fixed-capacity uniform sample of a stream (Vitter's algorithm R) with a seeded generator. */
export interface Reservoir<T> {
  /** Offers one value to the sample. */
  add(value: T): void;
  /** The sampled values, in stream order of arrival into the sample slots. */
  values(): T[];
  /** How many values were offered. */
  readonly seen: number;
}

/**
 * Creates a reservoir of at most `capacity` values. The generator is seeded from `seed` and `key` (the column name),
 * so adding a column to a dataset leaves the other columns' samples unchanged.
 */
export function createReservoir<T>(capacity: number, seed: number, key = ''): Reservoir<T> {
  const random = seededRandom(hashString(key, seed >>> 0));
  const slots: T[] = [];
  let seen = 0;
  return {
    add(value) {
      seen++;
      if (slots.length < capacity) {
        slots.push(value);
        return;
      }
      const j = Math.floor(random() * seen);
      if (j < capacity) slots[j] = value;
    },
    values: () => slots.slice(),
    get seen() {
      return seen;
    },
  };
}
