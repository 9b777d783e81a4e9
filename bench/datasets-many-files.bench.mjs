// versionDataset / pushDataset / pullDataset over 20,000 files of ~0.5 KB (issue 24), with ratios measured in this run:
//   - versioning (the store already open), first time and unchanged, against `sha256sum` of the same files;
//   - push and pull to a folder remote and to S3 (s3rver), against the same work done one object at a time (a put or a
//     get + restore per object, as pushDataset/pullDataset did before), and against a bare script with no library code
//     (the ceiling where the goal cannot be reached on this machine).
// Runs on the built packages (`node scripts/build.mjs @mlops/core @mlops/plugin-s3`). BENCH_FILES changes the count,
// BENCH_ROUNDS the rounds, BENCH_SEQ_SAMPLE the sample measured one object at a time, BENCH_S3=0 skips S3.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  createStore,
  datasetStatus,
  fsObjectStore,
  mapLimit,
  pullDataset,
  pushDataset,
  readManifest,
  readPointer,
  versionDataset,
} from '@mlops/core';

const FILES = Number(process.env.BENCH_FILES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEQ_SAMPLE = Math.min(FILES, Number(process.env.BENCH_SEQ_SAMPLE ?? 2_000));
const WITH_S3 = process.env.BENCH_S3 !== '0';
const CONCURRENCY = 16;
const PER_DIR = 200;
const NEED = 1.5 * 1024 ** 3;

const { bavail, bsize } = statfsSync(tmpdir());
if (bavail * bsize < NEED) {
  console.log(`skipped: ${((bavail * bsize) / 1024 ** 3).toFixed(2)} GiB free in ${tmpdir()}, need 1.5 GiB`);
  process.exit(0);
}
if (spawnSync('sha256sum', ['--version']).status !== 0) {
  console.log('skipped: sha256sum not found (it is the anchor)');
  process.exit(0);
}

const root = mkdtempSync(join(tmpdir(), 'mlops-bench-many-'));
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (s) => `${s.toFixed(2)} s`;
const list = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

/** 20,000 deterministic files of 384–639 bytes in folders of 200 (written one by one, never held in memory). */
function generate(dir) {
  let seed = Buffer.alloc(32, 1);
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `d${String(Math.floor(i / PER_DIR)).padStart(3, '0')}`);
    if (i % PER_DIR === 0) mkdirSync(sub, { recursive: true });
    seed = createHash('sha256').update(seed).digest();
    const size = 384 + (seed[0] % 256);
    const buf = Buffer.alloc(size);
    for (let o = 0; o < size; o += 32) seed.copy(buf, o, 0, Math.min(32, size - o));
    buf.write(`file ${i}\n`, 0);
    writeFileSync(join(sub, `f${String(i).padStart(5, '0')}.bin`), buf);
  }
}

/** `sha256sum` over the same files (listing included, as versionDataset lists them too). */
function sha256sumOnce(dir) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: dir });
  if (r.status !== 0) throw new Error(`sha256sum failed: ${r.stderr}`);
  return seconds(t0);
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { s: seconds(t0), out };
}

const data = join(root, 'corpus');
let store;
let s3;
try {
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; node ${process.version}`,
  );
  console.log(`generating ${FILES.toLocaleString('en')} files of 384–639 bytes in ${data}`);
  generate(data);
  // Older than the stat cache's racy window (100 ms): what an unchanged dataset looks like.
  await sleep(300);
  sha256sumOnce(data); // warm the page cache for every contender

  store = await createStore('memory://');
  const rssStore = process.memoryUsage().rss;
  // "Store already open": migrations done and code warm, on a small dataset of its own.
  const warm = join(root, 'warm');
  mkdirSync(warm);
  for (let i = 0; i < 200; i++) writeFileSync(join(warm, `w${i}`), `warm ${i}`);
  await versionDataset({ path: warm, store, objects: fsObjectStore({ dir: join(root, 'warm-objects') }) });

  // ---- versioning ----------------------------------------------------------------------------------------------
  const anchor = [];
  const first = [];
  const afterFirst = [];
  const unchanged = [];
  let objectsDir;
  let pointer;
  for (let r = 0; r < ROUNDS; r++) {
    anchor.push(sha256sumOnce(data));
    objectsDir = join(root, `objects-${r}`);
    const objects = fsObjectStore({ dir: objectsDir });
    const f = await timed(() => versionDataset({ path: data, name: `bench-${r}`, store, objects, progress: false }));
    if (!f.out.created || f.out.files !== FILES) throw new Error('first versioning did not create the version');
    first.push(f.s);
    pointer = f.out.pointerPath;
    anchor.push(sha256sumOnce(data));
    // Right after: the pack just written is within the racy window, its objects are verified (read) once.
    const a = await timed(() => versionDataset({ path: data, name: `bench-${r}`, store, objects, progress: false }));
    afterFirst.push(a.s);
    for (let k = 0; k < 2; k++) {
      const u = await timed(() => versionDataset({ path: data, name: `bench-${r}`, store, objects, progress: false }));
      if (u.out.created || u.out.version !== f.out.version || u.out.hashed.files !== 0) {
        throw new Error(`unchanged run hashed ${u.out.hashed.files} files`);
      }
      unchanged.push(u.s);
    }
    anchor.push(sha256sumOnce(data));
  }
  const objects = fsObjectStore({ dir: objectsDir });
  const verify = await timed(() => datasetStatus({ pointer, objects, verify: true }));
  if (verify.out.state !== 'unchanged' || verify.out.corrupted.length) throw new Error('status --verify disagrees');

  // Ceiling of what one fsync per file costs here (today's durability): a bare loop on a sample.
  const bare = join(root, 'bare-fsync');
  mkdirSync(bare);
  const sample = readdirSync(join(data, 'd000')).map((f) => join(data, 'd000', f));
  const bareT0 = process.hrtime.bigint();
  for (let i = 0; i < Math.min(1000, FILES); i++) {
    const src = sample[i % sample.length];
    const fd = openSync(join(bare, String(i)), 'wx');
    writeSync(fd, readFileSync(src));
    fsyncSync(fd);
    closeSync(fd);
  }
  const barePerFile = seconds(bareT0) / Math.min(1000, FILES);

  const sha256sum = median(anchor);
  console.log(
    `\nsha256sum of the ${FILES.toLocaleString('en')} files (anchor): median ${fmt(sha256sum)} [${list(anchor)}]`,
  );
  console.log(
    `versionDataset, first time:           median ${fmt(median(first))} [${list(first)}] = ${(median(first) / sha256sum).toFixed(1)}x sha256sum (goal <= 10x)`,
  );
  console.log(
    `versionDataset, unchanged:            median ${fmt(median(unchanged))} [${list(unchanged)}] = ${(median(unchanged) / sha256sum).toFixed(1)}x sha256sum (goal <= 2x)`,
  );
  console.log(
    `versionDataset, unchanged right after the first (its new pack verified once): median ${fmt(median(afterFirst))} [${list(afterFirst)}] = ${(median(afterFirst) / sha256sum).toFixed(1)}x`,
  );
  console.log(`datasetStatus --verify (every file and object read): ${fmt(verify.s)}`);
  console.log(
    `one fsync per file (bare writeFile + fsync loop, 1,000-file sample): ${(barePerFile * 1000).toFixed(2)} ms/file = ${fmt(barePerFile * FILES)} for ${FILES.toLocaleString('en')} files (what packing saves)`,
  );

  // ---- push / pull, folder remote --------------------------------------------------------------------------------
  const manifest = await readManifest(objects, (await readPointer(pointer)).digest);
  const digests = [...new Set(manifest.files.map((f) => f.digest))];
  const byDigest = new Map(manifest.files.map((f) => [f.digest, f]));
  const seqDigests = digests.slice(0, SEQ_SAMPLE);
  const scale = digests.length / seqDigests.length;

  /** The clone of the working copy: the pointer file alone in a new folder. */
  function clone(name) {
    const dir = join(root, name);
    mkdirSync(dir);
    copyFileSync(pointer, join(dir, 'corpus.mlops.json'));
    return { dir, pointer: join(dir, 'corpus.mlops.json'), data: join(dir, 'corpus') };
  }
  /** One object at a time, as before: a put (fsynced) per object. */
  async function pushOneAtATime(remote) {
    const t0 = process.hrtime.bigint();
    for (const d of seqDigests) await remote.put(objects.get(d), { expectedDigest: d });
    return seconds(t0) * scale;
  }
  /** One object at a time, as before: into the local cache (fsynced), then restored (temp file + rename). */
  async function pullOneAtATime(remote, into) {
    const cache = fsObjectStore({ dir: join(into, 'cache'), pack: false });
    const t0 = process.hrtime.bigint();
    for (const d of seqDigests) {
      await cache.put(remote.get(d), { expectedDigest: d });
      const target = join(into, 'corpus', byDigest.get(d).path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.${randomUUID()}.mlops-tmp`;
      writeFileSync(tmp, await cache.readBytes(d), { flag: 'wx' });
      renameSync(tmp, target);
    }
    return seconds(t0) * scale;
  }
  /** Bare restore loop: the working files only (temp file + rename), no store, no hashing: what creating them costs. */
  function bareRestore(into) {
    const t0 = process.hrtime.bigint();
    for (const f of manifest.files) {
      const target = join(into, f.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.tmp`;
      writeFileSync(tmp, readFileSync(join(data, f.path)));
      renameSync(tmp, target);
    }
    return seconds(t0);
  }

  const folderRemote = fsObjectStore({ dir: join(root, 'remote') });
  const push = await timed(() => pushDataset({ pointer, objects, remote: folderRemote, concurrency: CONCURRENCY }));
  if (push.out.uploaded.length !== digests.length + 1) throw new Error('push did not upload every object');
  const pushSeq = await pushOneAtATime(fsObjectStore({ dir: join(root, 'remote-seq'), pack: false }));
  const c1 = clone('clone-folder');
  const pull = await timed(() =>
    pullDataset({
      pointer: c1.pointer,
      remote: folderRemote,
      objects: fsObjectStore({ dir: join(c1.dir, 'cache') }),
      concurrency: CONCURRENCY,
    }),
  );
  if (pull.out.restored.length !== FILES) throw new Error('pull did not restore every file');
  const pullSeq = await pullOneAtATime(folderRemote, join(root, 'clone-folder-seq'));
  const bareRestoreS = bareRestore(join(root, 'bare-restore'));
  console.log(
    `\nfolder remote (${digests.length.toLocaleString('en')} objects; one at a time measured on ${seqDigests.length.toLocaleString('en')} and scaled):`,
  );
  console.log(
    `  pushDataset: ${fmt(push.s)}; one object at a time: ${fmt(pushSeq)} -> ${(pushSeq / push.s).toFixed(1)}x faster (goal >= 10x)`,
  );
  console.log(
    `  pullDataset into a fresh clone: ${fmt(pull.s)}; one object at a time: ${fmt(pullSeq)} -> ${(pullSeq / pull.s).toFixed(1)}x faster (goal >= 10x)`,
  );
  console.log(
    `  ceiling of a pull: creating the ${FILES.toLocaleString('en')} working files alone (bare temp file + rename loop) ${fmt(bareRestoreS)} -> pull / ceiling = ${(pull.s / bareRestoreS).toFixed(2)}x (<= 1.2x)`,
  );

  // ---- push / pull, S3 (s3rver) ------------------------------------------------------------------------------------
  if (WITH_S3) {
    const { s3ObjectStore } = await import('@mlops/plugin-s3');
    const { S3Client, PutObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const script = fileURLToPath(new URL('../packages/plugins/s3/test/s3rver-process.mjs', import.meta.url));
    const s3dir = join(root, 's3rver');
    mkdirSync(s3dir);
    s3 = spawn(process.execPath, [script, s3dir, 'bench'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await new Promise((resolve) =>
      createInterface({ input: s3.stdout }).once('line', (l) => resolve([l])),
    );
    const endpoint = `http://127.0.0.1:${JSON.parse(line).port}`;
    const connection = {
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    const client = new S3Client(connection);
    const remote = (prefix) => s3ObjectStore({ bucket: 'bench', prefix, client });
    const s3remote = remote('ours');
    const s3push = await timed(() => pushDataset({ pointer, objects, remote: s3remote, concurrency: CONCURRENCY }));
    const s3pushSeq = await pushOneAtATime(remote('seq'));
    // Ceiling: the same PutObject requests from a bare loop (no library code), as many in flight.
    const keyOf = (prefix, d) => `${prefix}/${d.slice(7, 9)}/${d.slice(9)}`;
    const bodies = new Map(manifest.files.map((f) => [f.digest, join(data, f.path)]));
    const s3pushBare = await timed(() =>
      mapLimit(digests, CONCURRENCY, (d) =>
        client.send(
          new PutObjectCommand({ Bucket: 'bench', Key: keyOf('bare', d), Body: readFileSync(bodies.get(d)) }),
        ),
      ),
    );
    const c2 = clone('clone-s3');
    const s3pull = await timed(() =>
      pullDataset({
        pointer: c2.pointer,
        remote: s3remote,
        objects: fsObjectStore({ dir: join(c2.dir, 'cache') }),
        concurrency: CONCURRENCY,
      }),
    );
    if (s3pull.out.restored.length !== FILES) throw new Error('S3 pull did not restore every file');
    const s3pullSeq = await pullOneAtATime(s3remote, join(root, 'clone-s3-seq'));
    // Ceiling: bare GetObject + write (temp file + rename), as many in flight.
    const bareDir = join(root, 'clone-s3-bare');
    const s3pullBare = await timed(() =>
      mapLimit(manifest.files, CONCURRENCY, async (f) => {
        const res = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: keyOf('ours', f.digest) }));
        const bytes = Buffer.from(await res.Body.transformToByteArray());
        if (sha(bytes) !== f.digest) throw new Error('bad bytes');
        const target = join(bareDir, f.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(`${target}.tmp`, bytes);
        renameSync(`${target}.tmp`, target);
      }),
    );
    client.destroy();
    console.log(
      `\nS3 remote, s3rver on 127.0.0.1 (${CONCURRENCY} requests in flight; one at a time measured on ${seqDigests.length.toLocaleString('en')} objects and scaled):`,
    );
    console.log(
      `  pushDataset: ${fmt(s3push.s)}; one object at a time: ${fmt(s3pushSeq)} -> ${(s3pushSeq / s3push.s).toFixed(1)}x faster (goal >= 10x)`,
    );
    console.log(
      `    ceiling: bare PutObject loop, ${CONCURRENCY} in flight: ${fmt(s3pushBare.s)} (${(s3pushSeq / s3pushBare.s).toFixed(1)}x one at a time) -> ours / ceiling = ${(s3push.s / s3pushBare.s).toFixed(2)}x (<= 1.2x)`,
    );
    console.log(
      `  pullDataset into a fresh clone: ${fmt(s3pull.s)}; one object at a time: ${fmt(s3pullSeq)} -> ${(s3pullSeq / s3pull.s).toFixed(1)}x faster (goal >= 10x)`,
    );
    console.log(
      `    ceiling: bare GetObject + verify + write loop, ${CONCURRENCY} in flight: ${fmt(s3pullBare.s)} (${(s3pullSeq / s3pullBare.s).toFixed(1)}x one at a time) -> ours / ceiling = ${(s3pull.s / s3pullBare.s).toFixed(2)}x (<= 1.2x)`,
    );
  }
  clearInterval(rssTimer);
  const mib = (n) => `${(n / 1024 ** 2).toFixed(0)} MiB`;
  console.log(
    `\npeak RSS: ${mib(Math.max(peakRss, process.memoryUsage().rss))} (after opening the in-memory PGlite store: ${mib(rssStore)}; s3rver runs in its own process)`,
  );
} finally {
  clearInterval(rssTimer);
  await store?.close();
  if (s3) {
    const exited = new Promise((r) => s3.once('exit', r));
    s3.stdin.end();
    await exited;
  }
  rmSync(root, { recursive: true, force: true });
}
