import { createHash } from 'node:crypto';

/**
 * Pack files of an fsObjectStore: many small objects in one file, so versioning 20,000 small files writes (and
 * fsyncs) one file instead of 20,000. `<name>.pack` holds the objects' bytes back to back; `<name>.idx` lists them:
 *
 * ```
 * "MLOPSIX1" | count (u32 BE) | reserved (u32, 0)
 * count × [ sha256 (32 bytes) | offset (u64 BE) | size (u64 BE) ]   sorted by sha256, no duplicates
 * sha256 of everything above (32 bytes)
 * ```
 *
 * Every object read from a pack is still verified against its digest; the index's own checksum catches a damaged index.
 */
export const IDX_MAGIC = Buffer.from('MLOPSIX1', 'latin1');
const HEADER = 16;
const ENTRY = 48;
const TRAILER = 32;
const U32 = 0x1_0000_0000;

/** One object of a pack: its raw sha256 (32 bytes), where its bytes start in the pack and how many there are. */
export interface PackEntry {
  hash: Buffer;
  offset: number;
  size: number;
}

/** Pack names: `pack-<13-digit ms>-<16 hex>`; sorting names in descending order lists the newest packs first. */
export const PACK_NAME_RE = /^pack-\d{13}-[0-9a-f]{16}$/;

/** A new pack name; `ms` keeps the age of a pack that is being rewritten (lookups search newer packs first). */
export function newPackName(ms: number, randomHex: string): string {
  return `pack-${String(Math.floor(ms)).padStart(13, '0')}-${randomHex.slice(0, 16)}`;
}

/** The creation time (ms) encoded in a pack name. */
export function packTimeOf(name: string): number {
  return Number(name.slice(5, 18));
}

/** Serialises an index: entries sorted by hash, the first of duplicates kept. */
export function encodePackIndex(entries: readonly PackEntry[]): Buffer {
  // Latin-1 strings of the hashes compare byte by byte, and far faster than Buffer.compare.
  const keyed = entries.map((e) => ({ e, k: e.hash.toString('latin1') }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const sorted = keyed.map((x) => x.e);
  const unique: PackEntry[] = [];
  for (const e of sorted) {
    const last = unique[unique.length - 1];
    if (!last?.hash.equals(e.hash)) unique.push(e);
  }
  const buf = Buffer.alloc(HEADER + unique.length * ENTRY + TRAILER);
  IDX_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(unique.length, 8);
  let off = HEADER;
  for (const e of unique) {
    e.hash.copy(buf, off);
    buf.writeUInt32BE(Math.floor(e.offset / U32), off + 32);
    buf.writeUInt32BE(e.offset % U32, off + 36);
    buf.writeUInt32BE(Math.floor(e.size / U32), off + 40);
    buf.writeUInt32BE(e.size % U32, off + 44);
    off += ENTRY;
  }
  createHash('sha256').update(buf.subarray(0, off)).digest().copy(buf, off);
  return buf;
}

/** A loaded pack index: binary search by raw sha256, no per-entry objects in memory. */
export class PackIndex {
  readonly count: number;
  private readonly buf: Buffer;
  /** The first 4 bytes of every hash, in index order: the binary search runs on these, without allocating. */
  private readonly prefixes: Uint32Array;

  private constructor(buf: Buffer, count: number) {
    this.buf = buf;
    this.count = count;
    this.prefixes = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.prefixes[i] = buf.readUInt32BE(HEADER + i * ENTRY);
  }

  /** Parses and checks an index (magic, length, checksum, order); throws an `Error` saying what is wrong. */
  static decode(buf: Buffer): PackIndex {
    if (buf.length < HEADER + TRAILER || !buf.subarray(0, 8).equals(IDX_MAGIC)) {
      throw new Error('not a pack index (bad magic)');
    }
    const count = buf.readUInt32BE(8);
    if (buf.length !== HEADER + count * ENTRY + TRAILER) throw new Error('pack index has the wrong length');
    const end = HEADER + count * ENTRY;
    const sum = createHash('sha256').update(buf.subarray(0, end)).digest();
    if (!sum.equals(buf.subarray(end))) throw new Error('pack index checksum mismatch');
    for (let i = 1; i < count; i++) {
      const a = HEADER + (i - 1) * ENTRY;
      if (Buffer.compare(buf.subarray(a, a + 32), buf.subarray(a + ENTRY, a + ENTRY + 32)) >= 0) {
        throw new Error('pack index is not sorted');
      }
    }
    return new PackIndex(buf, count);
  }

  private entryAt(i: number): PackEntry {
    const off = HEADER + i * ENTRY;
    return {
      hash: this.buf.subarray(off, off + 32),
      offset: this.buf.readUInt32BE(off + 32) * U32 + this.buf.readUInt32BE(off + 36),
      size: this.buf.readUInt32BE(off + 40) * U32 + this.buf.readUInt32BE(off + 44),
    };
  }

  /** The entry of a raw sha256, or `undefined`. */
  find(hash: Buffer): PackEntry | undefined {
    const prefix = hash.readUInt32BE(0);
    const p = this.prefixes;
    // The first entry whose prefix is >= the one searched for.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((p[mid] as number) < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count && p[i] === prefix; i++) {
      const off = HEADER + i * ENTRY;
      let same = true;
      for (let b = 4; b < 32; b++) {
        if (this.buf[off + b] !== hash[b]) {
          same = false;
          break;
        }
      }
      if (same) return this.entryAt(i);
    }
    return undefined;
  }

  /** Every entry, in hash order. */
  *entries(): Generator<PackEntry> {
    for (let i = 0; i < this.count; i++) yield this.entryAt(i);
  }
}
