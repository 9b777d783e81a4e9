// Big files (issue 24): sha256 throughput of versionDataset on a generated 1 GiB file as a ratio to
// `openssl dgst -sha256` on the same bytes (the machine's limit), hashing alone and first-time versioning (hashed while
// copied into the object store: one read, one write, fsync, an atomic rename), with the ceilings measured the same
// way by minimal scripts (node:crypto hashing the file; a bare read + hash + write + fsync + rename loop), and peak
// RSS. Runs on the built @mlops/core (`node scripts/build.mjs @mlops/core`). BENCH_HASH_BYTES changes the size,
// BENCH_ROUNDS the rounds (medians are printed).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStore, fsObjectStore } from '@mlops/core';
import { versionDataset } from '@mlops/core/dataset-versions';

const GiB = 1024 ** 3;
const SIZE = Number(process.env.BENCH_HASH_BYTES ?? GiB);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NEED = SIZE * 3 + 200 * 1024 ** 2; // the file, a copy in the object store, the bare copy, slack

const { bavail, bsize } = statfsSync(tmpdir());
if (bavail * bsize < NEED) {
  console.log(
    `skipped: ${((bavail * bsize) / GiB).toFixed(2)} GiB free in ${tmpdir()}, need ${(NEED / GiB).toFixed(2)} GiB`,
  );
  process.exit(0);
}
if (spawnSync('openssl', ['version']).status !== 0) {
  console.log('skipped: openssl not found (it is the baseline)');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-hash-'));
const file = join(dir, 'random.bin');
const mib = (n) => `${(n / 1024 ** 2).toFixed(0)} MiB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function* pseudoRandom(size) {
  // Deterministic pseudo-random bytes: AES-128-CTR over zeros with a fixed key.
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1 << 20);
  for (let done = 0; done < size; done += zeros.length) {
    yield cipher.update(zeros.subarray(0, Math.min(zeros.length, size - done)));
  }
}

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);

async function timed(fn) {
  const t = process.hrtime.bigint();
  const out = await fn();
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, out };
}

function opensslOnce() {
  const t = process.hrtime.bigint();
  const res = spawnSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, hex: res.stdout.split(' ')[0] };
}

/** Ceiling of hashing: node:crypto over a read stream of the same file, no library code. */
async function nodeHashOnce() {
  return timed(async () => {
    const h = createHash('sha256');
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c);
    return h.digest('hex');
  });
}

/** Ceiling of first-time versioning: read, hash and write each chunk, fsync, rename; no library code. */
async function bareCopyOnce(target) {
  return timed(async () => {
    const h = createHash('sha256');
    const out = await open(`${target}.tmp`, 'wx');
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) {
      h.update(c);
      await out.write(c);
    }
    await out.sync();
    await out.close();
    await rename(`${target}.tmp`, target);
    return h.digest('hex');
  });
}

let store;
try {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; node ${process.version}`,
  );
  console.log(`generating ${mib(SIZE)} in ${dir}`);
  await pipeline(Readable.from(pseudoRandom(SIZE)), createWriteStream(file));
  // Settle the generated file on disk first: its writeback would otherwise compete with the first round's writes.
  const fh = await open(file, 'r+');
  await fh.sync();
  await fh.close();
  store = await createStore('memory://');
  const rssStore = process.memoryUsage().rss;
  opensslOnce(); // warm the page cache: every contender reads from memory

  const ossl = [];
  const nodeHash = [];
  const hashing = [];
  const cached = [];
  const verified = [];
  const first = [];
  const bare = [];
  let hex;
  for (let r = 0; r < ROUNDS; r++) {
    const o = opensslOnce();
    hex = o.hex;
    ossl.push(o.seconds);
    const nh = await nodeHashOnce();
    if (nh.out !== hex) throw new Error('node:crypto digest mismatch');
    nodeHash.push(nh.seconds);

    // First time: a fresh object store, the file hashed while it is copied in.
    const objectsDir = join(dir, `objects-${r}`);
    const objects = fsObjectStore({ dir: objectsDir });
    const f = await timed(() => versionDataset({ path: file, name: `bench-${r}`, store, objects, progress: false }));
    if (f.out.version !== hex) throw new Error(`digest mismatch: openssl ${hex}, versionDataset ${f.out.version}`);
    first.push(f.seconds);
    const b = await bareCopyOnce(join(dir, `bare-${r}`));
    if (b.out !== hex) throw new Error('bare copy digest mismatch');
    bare.push(b.seconds);
    rmSync(join(dir, `bare-${r}`), { force: true });

    // Hashing alone: the object is stored, no stat cache, stored copy trusted by size.
    const opts = { path: file, name: `bench-${r}`, store, objects, progress: false };
    const h = await timed(() => versionDataset({ ...opts, statCache: false, verifyStored: false }));
    if (h.out.version !== hex || h.out.hashed.bytes !== SIZE) throw new Error('hashing run did not hash the file');
    hashing.push(h.seconds);
    // The defaults on an unchanged file: the stat cache vouches for it (after the stored copy is verified once).
    verified.push((await timed(() => versionDataset(opts))).seconds);
    const c = await timed(() => versionDataset(opts));
    if (c.out.hashed.files !== 0) throw new Error('the stat cache did not vouch for the unchanged file');
    cached.push(c.seconds);
    o.seconds = opensslOnce().seconds;
    ossl.push(o.seconds);
    rmSync(objectsDir, { recursive: true, force: true });
  }
  const rate = (s) => `${(SIZE / GiB / s).toFixed(2)} GiB/s`;
  const line = (label, xs) =>
    `${label.padEnd(44)} ${median(xs).toFixed(2)} s  ${rate(median(xs))}  [${xs.map((x) => x.toFixed(2)).join(', ')}]`;
  const o = median(ossl);
  console.log(line('openssl dgst -sha256 (baseline)', ossl));
  console.log(line('node:crypto read stream (hashing ceiling)', nodeHash));
  console.log(line('versionDataset, hashing (object stored)', hashing));
  console.log(line('bare read+hash+write+fsync+rename (ceiling)', bare));
  console.log(line('versionDataset, first time', first));
  console.log(line('versionDataset, unchanged, stored copy verified', verified));
  console.log(
    `versionDataset, unchanged (stat cache)       ${median(cached).toFixed(3)} s  (no byte read: size, inode, mtime, ctime match)`,
  );
  console.log(`ratio to openssl, hashing:     ${(o / median(hashing)).toFixed(2)}x  (goal >= 0.9x)`);
  console.log(
    `ratio to openssl, first time:  ${(o / median(first)).toFixed(2)}x  (goal >= 0.5x; ceiling ${(o / median(bare)).toFixed(2)}x: ours / ceiling time = ${(median(first) / median(bare)).toFixed(2)}, <= 1.2)`,
  );
  clearInterval(sampler);
  console.log(
    `peak RSS: ${mib(Math.max(peak, process.memoryUsage().rss))} (after opening the store: ${mib(rssStore)}; file: ${mib(SIZE)}) - flat when well under the file size`,
  );
} finally {
  clearInterval(sampler);
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
}
