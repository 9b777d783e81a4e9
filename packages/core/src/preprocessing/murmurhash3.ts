const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

function utf8(key: string): Uint8Array {
  // Reuse one buffer instead of allocating per term: hashing runs once per token of every document.
  if (scratch.length < key.length * 3) scratch = new Uint8Array(key.length * 3);
  const { written } = encoder.encodeInto(key, scratch);
  return scratch.subarray(0, written);
}

/**
 * MurmurHash3 x86 32-bit of `key` (a string is hashed as its UTF-8 bytes), as sklearn's `murmurhash3_32`.
 * Returns a signed 32-bit integer unless `positive` is true.
 */
export function murmurhash3_32(key: string | Uint8Array, seed = 0, positive = false): number {
  const bytes = typeof key === 'string' ? utf8(key) : key;
  const len = bytes.length;
  const nBlocks = len >> 2;
  let h = seed | 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  for (let b = 0; b < nBlocks; b++) {
    const i = b << 2;
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = nBlocks << 2;
  let k = 0;
  switch (len & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: MurmurHash3 tail handling falls through on purpose
    case 3:
      k ^= bytes[tail + 2]! << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: see above
    case 2:
      k ^= bytes[tail + 1]! << 8;
    case 1:
      k ^= bytes[tail]!;
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return positive ? h >>> 0 : h | 0;
}
