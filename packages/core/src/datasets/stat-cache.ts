import { createHash, randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import type { FsObjectLocation } from '../objects/fs.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';

/**
 * Options of the stat cache: what lets `versionDataset` (and `datasetStatus` / `pullDataset`) skip re-hashing files
 * that have not changed since they were last hashed, as git's index and DVC's state database do.
 */
export interface StatCacheOptions {
  /**
   * Folder of the cache files (one per dataset path).
   * @default `<objects.dir>/state` when `objects` is an fsObjectStore; without it (another store) there is no cache
   */
  dir?: string;
  /**
   * The racy window: a file (or stored object) whose mtime or ctime is less than this many milliseconds older than the
   * moment its stat was taken is hashed again next time, because a change within the file system's timestamp
   * granularity would leave its stat unchanged. Files with whole-second timestamps (a coarse file system) use at least
   * 2 s. Raise it on a network file system whose server clock may lag this machine's.
   * @default 100
   */
  racyWindowMs?: number;
}

const KIND = 'mlops.dataset-stat-cache';
// The header is validated with zod; the (many) rows with plain checks as they are loaded (the file's checksum already
// says it was written by this code).
const HeaderSchema = z.looseObject({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  root: z.string(),
});
interface CacheBody {
  files: unknown;
  identities: unknown;
  objects: unknown;
}

/** `[rel, "<size>:<ino>:<mtimeNs>:<ctimeNs>", digest, checkedAtMs]` */
type FileRow = [string, string, Digest, number];
/** `[digest, index into identities, checkedAtMs]` */
type ObjectRow = [Digest, number, number];

const isDigestLike = (v: unknown): v is Digest => typeof v === 'string' && v.length === 71 && v.startsWith('sha256:');
const isFileRow = (r: unknown): r is FileRow =>
  Array.isArray(r) &&
  r.length === 4 &&
  typeof r[0] === 'string' &&
  typeof r[1] === 'string' &&
  isDigestLike(r[2]) &&
  typeof r[3] === 'number';
const isObjectRow = (r: unknown, identities: number): r is ObjectRow =>
  Array.isArray(r) &&
  r.length === 3 &&
  isDigestLike(r[0]) &&
  Number.isInteger(r[1]) &&
  (r[1] as number) >= 0 &&
  (r[1] as number) < identities &&
  typeof r[2] === 'number';

const COARSE_WINDOW_MS = 2000;

/** A file's stat as the cache keys it. */
export interface FileIdentity {
  size: number;
  /** `<size>:<inode>:<mtime ns>:<ctime ns>`: equal keys, same stat. */
  key: string;
  /** The later of mtime and ctime, in whole milliseconds (rounded down). */
  changedMs: number;
  /** False when both timestamps are whole seconds: a coarse file system. */
  subsecond: boolean;
  /** An inode number of 0: the file system does not have stable inodes, the cache cannot vouch for the file. */
  noInode: boolean;
}

const WHOLE_SECOND = /000000000$/;

/** The cache key of a stat taken with `{ bigint: true }`. */
export function identityOf(st: BigIntStats): FileIdentity {
  const mtime = String(st.mtimeNs);
  const ctime = String(st.ctimeNs);
  return {
    size: Number(st.size),
    key: `${st.size}:${st.ino}:${mtime}:${ctime}`,
    changedMs: Math.max(Number(st.mtimeMs), Number(st.ctimeMs)),
    subsecond: !WHOLE_SECOND.test(mtime) || !WHOLE_SECOND.test(ctime),
    noInode: st.ino === 0n,
  };
}

/**
 * The stat cache of one dataset path. Entries map a file (relative path + size, inode, mtime and ctime in ns) to its
 * sha256, and a stored object to the identity of the file holding it (loose file or pack) when it was last verified or
 * written. An entry is trusted only when every key matches and it is not racy (see {@link StatCacheOptions.racyWindowMs});
 * anything else (a mismatch, a racy entry, an inode of 0, a timestamp in the future, a damaged cache file) falls back
 * to hashing. The file is rewritten whole (temp file + rename) after a run that learnt something, with a sha256 of its
 * body on the last line; a file that does not check out is ignored.
 */
export class StatCache {
  private readonly files = new Map<string, FileRow>();
  private readonly objects = new Map<string, ObjectRow>();
  private identities: string[] = [];
  private readonly nextFiles: FileRow[] = [];
  private readonly nextObjects = new Map<string, ObjectRow>();
  private readonly nextIdentities = new Map<string, number>();
  private readonly nextIdentityList: string[] = [];
  private dirty = false;

  private constructor(
    readonly path: string,
    readonly root: string,
    private readonly windowMs: number,
  ) {}

  /** Opens the cache of `root` (the dataset's absolute path) in `dir`; an unreadable cache starts empty. */
  static async open(dir: string, root: string, opts: { racyWindowMs?: number } = {}): Promise<StatCache> {
    const windowMs = opts.racyWindowMs ?? 100;
    if (!Number.isFinite(windowMs) || windowMs < 0) {
      throw new MlopsError('INVALID_INPUT', {
        message: `statCache.racyWindowMs must be a non-negative number, got ${windowMs}`,
        details: [{ path: 'statCache.racyWindowMs', message: 'expected a non-negative number' }],
      });
    }
    const key = createHash('sha256').update(root).digest('hex').slice(0, 32);
    const cache = new StatCache(join(dir, `stat-cache-${key}.json`), root, windowMs);
    const text = await readFile(cache.path, 'utf8').catch(() => undefined);
    if (text !== undefined) cache.load(text);
    return cache;
  }

  private load(text: string): void {
    const nl = text.lastIndexOf('\n', text.length - 2);
    if (nl < 0) return;
    const body = text.slice(0, nl);
    const sum = text.slice(nl + 1).trim();
    if (createHash('sha256').update(body).digest('hex') !== sum) return;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return;
    }
    const head = HeaderSchema.safeParse(json);
    if (!head.success || head.data.root !== this.root) return;
    const { files, identities, objects } = json as CacheBody;
    if (!Array.isArray(files) || !Array.isArray(identities) || !Array.isArray(objects)) return;
    if (!identities.every((i) => typeof i === 'string')) return;
    this.identities = identities as string[];
    for (const r of files) if (isFileRow(r)) this.files.set(r[0], r);
    for (const r of objects) if (isObjectRow(r, this.identities.length)) this.objects.set(r[0], r);
  }

  /** Whether a stat taken at `checkedAtMs` can vouch for the file: not racy, not from the future. */
  private trustworthy(changedMs: number, subsecond: boolean, checkedAtMs: number): boolean {
    const window = subsecond ? this.windowMs : Math.max(this.windowMs, COARSE_WINDOW_MS);
    // `changedMs` is rounded down: + 1 keeps the comparison on the safe side.
    return changedMs + 1 <= checkedAtMs - window;
  }

  /** The digest of `rel` when its stat matches a trustworthy entry; `undefined` means: hash it. */
  fileDigest(rel: string, id: FileIdentity): Digest | undefined {
    const r = this.files.get(rel);
    if (!r || r[1] !== id.key || id.noInode) return undefined;
    if (!this.trustworthy(id.changedMs, id.subsecond, r[3])) return undefined;
    return r[2];
  }

  /** Whether an entry existed for `rel` (whatever its stat): a path versioned before. */
  knows(rel: string): boolean {
    return this.files.has(rel);
  }

  /** True when the object was verified (or written) in the file that still holds it, unchanged since. */
  objectTrusted(digest: Digest, loc: FsObjectLocation | undefined): boolean {
    if (!loc) return false;
    const r = this.objects.get(digest);
    if (!r || this.identities[r[1]] !== loc.identity) return false;
    return this.trustworthy(Number(loc.changedNs / 1_000_000n), loc.subsecond, r[2]);
  }

  /**
   * Records a file for the next run: `checkedAtMs` is when its stat was taken, before it was read. An entry the cache
   * vouched for this run (`fromCache`) is kept as it was (its older check time is the stricter one) and does not make
   * the cache worth rewriting; a file that was read gets a new entry (a racy one becomes trustworthy this way).
   */
  recordFile(rel: string, id: FileIdentity, digest: Digest, checkedAtMs: number, fromCache = false): void {
    const old = this.files.get(rel);
    if (fromCache && old && old[1] === id.key && old[2] === digest) {
      this.nextFiles.push(old);
      return;
    }
    this.dirty = true;
    this.nextFiles.push([rel, id.key, digest, checkedAtMs]);
  }

  private identityIndex(identity: string): number {
    let i = this.nextIdentities.get(identity);
    if (i === undefined) {
      i = this.nextIdentities.size;
      this.nextIdentities.set(identity, i);
      this.nextIdentityList.push(identity);
    }
    return i;
  }

  /** Records that an object was intact in `loc`'s file, as stat'ed at `checkedAtMs` (before it was verified). */
  recordObject(digest: Digest, loc: FsObjectLocation, checkedAtMs: number): void {
    this.dirty = true;
    this.nextObjects.set(digest, [digest, this.identityIndex(loc.identity), checkedAtMs]);
  }

  /**
   * Records an object whose file this run freshened (its times set by `ObjectStore.freshen`) right after trusting it,
   * stat'ed at `checkedAtMs` and unchanged since the freshen. A write sets a file's mtime and ctime to the same instant,
   * while the freshen set the mtime alone: when they still differ on a clock finer than a second, nothing was written
   * to the file since, and the entry is trusted at once instead of being racy until the window has passed.
   */
  recordFreshened(digest: Digest, loc: FsObjectLocation, checkedAtMs: number): void {
    const [, , mtimeNs, ctimeNs] = loc.identity.split(':');
    const settled = loc.subsecond && mtimeNs !== undefined && mtimeNs !== ctimeNs;
    const trustedFrom = Number(loc.changedNs / 1_000_000n) + 1 + this.windowMs;
    this.recordObject(digest, loc, settled ? Math.max(checkedAtMs, trustedFrom) : checkedAtMs);
  }

  /**
   * True when this run's entry of an object (recorded or kept) vouches for it in `loc`'s file: same identity, and not
   * racy. A just-written object is racy (it is verified once by the next run), and stays so.
   */
  trustedThisRun(digest: Digest, loc: FsObjectLocation | undefined): boolean {
    const r = this.nextObjects.get(digest);
    if (!r || !loc || this.nextIdentityList[r[1]] !== loc.identity) return false;
    return this.trustworthy(Number(loc.changedNs / 1_000_000n), loc.subsecond, r[2]);
  }

  /** Keeps an object's previous entry (it was trusted this run, nothing new was learnt). */
  keepObject(digest: Digest): void {
    const r = this.objects.get(digest);
    if (!r || this.nextObjects.has(digest)) return;
    this.nextObjects.set(digest, [digest, this.identityIndex(this.identities[r[1]] as string), r[2]]);
  }

  /** Writes what this run recorded (entries of files and objects no longer used are dropped); nothing when no entry changed. */
  async save(): Promise<void> {
    if (!this.dirty && this.nextFiles.length === this.files.size && this.nextObjects.size === this.objects.size) return;
    const body = JSON.stringify({
      kind: KIND,
      schemaVersion: 1,
      root: this.root,
      files: this.nextFiles,
      identities: [...this.nextIdentities.keys()],
      objects: [...this.nextObjects.values()],
    });
    const text = `${body}\n${createHash('sha256').update(body).digest('hex')}\n`;
    const dir = join(this.path, '..');
    await mkdir(dir, { recursive: true });
    const tmp = `${this.path}.${randomUUID()}.tmp`;
    try {
      // No fsync: a cache lost in a crash only costs hashing again, and a torn one fails its checksum.
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }
}

/** Where the stat cache of a dataset lives by default: `<objects.dir>/state` for an fsObjectStore, else nowhere. */
export function defaultStatCacheDir(objects: ObjectStore): string | undefined {
  const dir = (objects as { dir?: unknown }).dir;
  return typeof dir === 'string' && typeof (objects as { inspect?: unknown }).inspect === 'function'
    ? join(dir, 'state')
    : undefined;
}

/** Opens the stat cache for `root`, or `undefined` when it is turned off or has nowhere to live. */
export async function openStatCache(
  objects: ObjectStore,
  root: string,
  opt: false | StatCacheOptions | undefined,
): Promise<StatCache | undefined> {
  if (opt === false) return undefined;
  const dir = opt?.dir ?? defaultStatCacheDir(objects);
  if (!dir) return undefined;
  return StatCache.open(dir, root, opt?.racyWindowMs === undefined ? {} : { racyWindowMs: opt.racyWindowMs });
}
