// sha256 throughput of versionDataset on a generated 1 GiB file, as a ratio to `openssl dgst -sha256` on the same
// bytes (the machine's limit), with peak RSS. Runs on the built @mlops/core (`node scripts/build.mjs @mlops/core`).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStore, fsObjectStore, versionDataset } from '@mlops/core';

const GiB = 1024 ** 3;
const SIZE = Number(process.env.BENCH_HASH_BYTES ?? GiB);
const NEED = SIZE * 2 + 200 * 1024 ** 2; // the file + its copy in the object store + slack

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

function* pseudoRandom(size) {
  // Deterministic pseudo-random bytes: AES-128-CTR over zeros with a fixed key.
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1 << 20);
  for (let done = 0; done < size; done += zeros.length) {
    yield cipher.update(zeros.subarray(0, Math.min(zeros.length, size - done)));
  }
}

function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

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

let store;
try {
  console.log(`generating ${mib(SIZE)} in ${dir}`);
  await pipeline(Readable.from(pseudoRandom(SIZE)), createWriteStream(file));
  store = await createStore('memory://');
  const objects = fsObjectStore({ dir: join(dir, 'objects') });

  // Warm the page cache so both sides read from memory, then take the best of 3 for each.
  const ossl = [opensslOnce(), opensslOnce(), opensslOnce()];
  const opensslBest = Math.min(...ossl.map((r) => r.seconds));

  const nodeHash = await timed(async () => {
    const h = createHash('sha256');
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c);
    return h.digest('hex');
  });

  const rssBefore = process.memoryUsage().rss;
  const stopCold = rssSampler();
  const cold = await timed(() => versionDataset({ path: file, name: 'bench', store, objects, progress: false }));
  const coldPeak = stopCold();
  const warmRuns = [];
  const stopWarm = rssSampler();
  for (let i = 0; i < 3; i++) {
    warmRuns.push(await timed(() => versionDataset({ path: file, name: 'bench', store, objects, progress: false })));
  }
  const warmPeak = stopWarm();
  const warmBest = Math.min(...warmRuns.map((r) => r.seconds));

  if (cold.out.version !== ossl[0].hex || warmRuns[0].out.version !== ossl[0].hex || nodeHash.out !== ossl[0].hex) {
    throw new Error(`digest mismatch: openssl ${ossl[0].hex}, versionDataset ${cold.out.version}`);
  }
  const rate = (s) => `${(SIZE / GiB / s).toFixed(2)} GiB/s`;
  console.log(
    `openssl dgst -sha256           ${opensslBest.toFixed(2)} s  ${rate(opensslBest)}  (baseline, best of 3)`,
  );
  console.log(`node:crypto stream (no store)  ${nodeHash.seconds.toFixed(2)} s  ${rate(nodeHash.seconds)}`);
  console.log(
    `versionDataset, object present ${warmBest.toFixed(2)} s  ${rate(warmBest)}  (hashing + stats + store row)`,
  );
  console.log(
    `versionDataset, first time     ${cold.seconds.toFixed(2)} s  ${rate(cold.seconds)}  (hash, then copy into the object store with fsync)`,
  );
  console.log(`ratio to openssl, hashing:     ${(opensslBest / warmBest).toFixed(2)}x  (aim >= 0.9x)`);
  console.log(
    `ratio to openssl, first time:  ${(opensslBest / cold.seconds).toFixed(2)}x  (reads twice and writes once)`,
  );
  console.log(
    `peak RSS: ${mib(Math.max(coldPeak, warmPeak))} (before: ${mib(rssBefore)}; file: ${mib(SIZE)}) - flat when well under the file size`,
  );
} finally {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
}
