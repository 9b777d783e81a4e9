/** A fixed-capacity ring of numbers (missing values stored as NaN). */
export interface NumberRing {
  readonly capacity: number;
  readonly length: number;
  push(value: number): void;
  /** The buffered values, oldest first, as a new array. */
  toArray(): Float64Array;
  clear(): void;
}

/** Creates a {@link NumberRing} backed by one preallocated Float64Array. */
export function numberRing(capacity: number): NumberRing {
  const data = new Float64Array(capacity);
  let start = 0;
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    push(value) {
      if (length < capacity) data[(start + length++) % capacity] = value;
      else {
        data[start] = value;
        start = (start + 1) % capacity;
      }
    },
    toArray() {
      const out = new Float64Array(length);
      const head = Math.min(length, capacity - start);
      out.set(data.subarray(start, start + head), 0);
      if (head < length) out.set(data.subarray(0, length - head), head);
      return out;
    },
    clear() {
      start = 0;
      length = 0;
    },
  };
}

/** A fixed-capacity ring of strings (missing values stored as null). */
export interface StringRing {
  readonly capacity: number;
  readonly length: number;
  push(value: string | null): void;
  toArray(): (string | null)[];
  clear(): void;
}

/** Creates a {@link StringRing} backed by one preallocated array. */
export function stringRing(capacity: number): StringRing {
  const data = new Array<string | null>(capacity).fill(null);
  let start = 0;
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    push(value) {
      if (length < capacity) data[(start + length++) % capacity] = value;
      else {
        data[start] = value;
        start = (start + 1) % capacity;
      }
    },
    toArray() {
      const out = new Array<string | null>(length);
      for (let i = 0; i < length; i++) out[i] = data[(start + i) % capacity] ?? null;
      return out;
    },
    clear() {
      data.fill(null);
      start = 0;
      length = 0;
    },
  };
}

/** A fixed-capacity ring of small codes (0–255) that keeps a count of each code among its values. */
export interface CodeRing {
  readonly capacity: number;
  readonly length: number;
  push(code: number): void;
  /** How many buffered values hold `code`. */
  count(code: number): number;
  /** Codes present in the buffer, with their counts. */
  counts(): Map<number, number>;
  clear(): void;
}

/** Creates a {@link CodeRing} backed by one preallocated Uint8Array and a 256-entry count table. */
export function codeRing(capacity: number): CodeRing {
  const data = new Uint8Array(capacity);
  const tally = new Uint32Array(256);
  let start = 0;
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    push(code) {
      if (length < capacity) data[(start + length++) % capacity] = code;
      else {
        const evicted = data[start] as number;
        tally[evicted] = (tally[evicted] as number) - 1;
        data[start] = code;
        start = (start + 1) % capacity;
      }
      tally[code] = (tally[code] as number) + 1;
    },
    count: (code) => tally[code] as number,
    counts() {
      const out = new Map<number, number>();
      for (let c = 0; c < 256; c++) if ((tally[c] as number) > 0) out.set(c, tally[c] as number);
      return out;
    },
    clear() {
      tally.fill(0);
      start = 0;
      length = 0;
    },
  };
}
