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
import { createStore, fsObjectStore } from '@mlops/core';
import {
  datasetStatus,
  pullDataset,
  pushDataset,
  readManifest,
  readPointer,
  versionDataset,
} from '@mlops/core/dataset-versions';
import { mapLimit } from '@mlops/core/objects';

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
  spawnSync('sync'); // settle the generated files on disk: their writeback would compete with the first round
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

  /** Alternates which of two measurements goes first from round to round (the load drifts), returns both lists. */
  async function alternating(rounds, a, b) {
    const xs = [];
    const ys = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        xs.push(await a(r));
        ys.push(await b(r));
      } else {
        ys.push(await b(r));
        xs.push(await a(r));
      }
    }
    return [xs, ys];
  }
  const report = (label, ours, other, what) =>
    console.log(
      `  ${label}: ours ${fmt(median(ours))} [${list(ours)}]; ${what} ${fmt(median(other))} [${list(other)}] -> ${(median(other) / median(ours)).toFixed(1)}x`,
    );

  let folderRemote;
  const [push, pushSeq] = await alternating(
    ROUNDS,
    async (r) => {
      const remote = fsObjectStore({ dir: join(root, `remote-${r}`) });
      const res = await timed(() => pushDataset({ pointer, objects, remote, concurrency: CONCURRENCY }));
      if (res.out.uploaded.length !== digests.length + 1) throw new Error('push did not upload every object');
      folderRemote ??= remote;
      return res.s;
    },
    (r) => pushOneAtATime(fsObjectStore({ dir: join(root, `remote-seq-${r}`), pack: false })),
  );
  const [pull, pullSeq] = await alternating(
    ROUNDS,
    async (r) => {
      const c = clone(`clone-folder-${r}`);
      const res = await timed(() =>
        pullDataset({
          pointer: c.pointer,
          remote: folderRemote,
          objects: fsObjectStore({ dir: join(c.dir, 'cache') }),
          concurrency: CONCURRENCY,
        }),
      );
      if (res.out.restored.length !== FILES) throw new Error('pull did not restore every file');
      rmSync(c.dir, { recursive: true, force: true });
      return res.s;
    },
    async (r) => {
      const s = await pullOneAtATime(folderRemote, join(root, `clone-folder-seq-${r}`));
      rmSync(join(root, `clone-folder-seq-${r}`), { recursive: true, force: true });
      return s;
    },
  );
  const bareRestores = [];
  for (let r = 0; r < ROUNDS; r++) {
    bareRestores.push(bareRestore(join(root, `bare-restore-${r}`)));
    rmSync(join(root, `bare-restore-${r}`), { recursive: true, force: true });
  }
  console.log(
    `\nfolder remote, ${digests.length.toLocaleString('en')} objects, ${CONCURRENCY} at once (one at a time: measured on ${seqDigests.length.toLocaleString('en')} objects, scaled; rounds alternate which goes first):`,
  );
  report('pushDataset', push, pushSeq, 'one object at a time (a put + fsync each)');
  console.log(`    -> ${(median(pushSeq) / median(push)).toFixed(1)}x faster (goal >= 10x)`);
  report('pullDataset into a fresh clone', pull, pullSeq, 'one object at a time (cache put + fsync, restore)');
  console.log(`    -> ${(median(pullSeq) / median(pull)).toFixed(1)}x faster (goal >= 10x)`);
  console.log(
    `  creating the ${FILES.toLocaleString('en')} working files alone (bare temp file + rename loop): ${fmt(median(bareRestores))} [${list(bareRestores)}] -> a pull costs ${(median(pull) / median(bareRestores)).toFixed(2)}x that`,
  );

  // ---- push / pull, S3 (s3rver) ------------------------------------------------------------------------------------
  if (WITH_S3) {
    const S3_ROUNDS = Number(process.env.BENCH_S3_ROUNDS ?? 2);
    const { s3ObjectStore } = await import('@mlops/plugin-s3');
    const { S3Client, PutObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const script = fileURLToPath(new URL('../packages/plugins/s3/test/s3rver-process.mjs', import.meta.url));
    const s3dir = join(root, 's3rver');
    mkdirSync(s3dir);
    s3 = spawn(process.execPath, [script, s3dir, 'bench'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await new Promise((resolve) =>
      createInterface({ input: s3.stdout }).once('line', (l) => resolve([l])),
    );
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${JSON.parse(line).port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const remote = (prefix) => s3ObjectStore({ bucket: 'bench', prefix, client });
    const keyOf = (prefix, d) => `${prefix}/${d.slice(7, 9)}/${d.slice(9)}`;
    const paths = new Map(manifest.files.map((f) => [f.digest, join(data, f.path)]));
    // Push: ours, then (or before) the same PutObject requests from a bare loop with as many in flight: the ceiling.
    const [s3push, s3pushBare] = await alternating(
      S3_ROUNDS,
      async (r) =>
        (await timed(() => pushDataset({ pointer, objects, remote: remote(`ours-${r}`), concurrency: CONCURRENCY }))).s,
      async (r) =>
        (
          await timed(() =>
            mapLimit(digests, CONCURRENCY, (d) =>
              client.send(
                new PutObjectCommand({ Bucket: 'bench', Key: keyOf(`bare-${r}`, d), Body: readFileSync(paths.get(d)) }),
              ),
            ),
          )
        ).s,
    );
    const s3pushSeq = await pushOneAtATime(remote('seq'));
    // Pull: ours into a fresh clone, and a bare GetObject + verify + write (temp file + rename) loop: the ceiling.
    const [s3pull, s3pullBare] = await alternating(
      S3_ROUNDS,
      async (r) => {
        const c = clone(`clone-s3-${r}`);
        const res = await timed(() =>
          pullDataset({
            pointer: c.pointer,
            remote: remote('ours-0'),
            objects: fsObjectStore({ dir: join(c.dir, 'cache') }),
            concurrency: CONCURRENCY,
          }),
        );
        if (res.out.restored.length !== FILES) throw new Error('S3 pull did not restore every file');
        rmSync(c.dir, { recursive: true, force: true });
        return res.s;
      },
      async (r) => {
        const into = join(root, `clone-s3-bare-${r}`);
        const took = (
          await timed(() =>
            mapLimit(manifest.files, CONCURRENCY, async (f) => {
              const res = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: keyOf('ours-0', f.digest) }));
              const bytes = Buffer.from(await res.Body.transformToByteArray());
              if (sha(bytes) !== f.digest) throw new Error('bad bytes');
              const target = join(into, f.path);
              mkdirSync(dirname(target), { recursive: true });
              writeFileSync(`${target}.tmp`, bytes);
              renameSync(`${target}.tmp`, target);
            }),
          )
        ).s;
        rmSync(into, { recursive: true, force: true });
        return took;
      },
    );
    const s3pullSeq = await pullOneAtATime(remote('ours-0'), join(root, 'clone-s3-seq'));
    client.destroy();
    console.log(
      `\nS3 remote, s3rver on 127.0.0.1, ${CONCURRENCY} requests in flight (one at a time: measured on ${seqDigests.length.toLocaleString('en')} objects, scaled):`,
    );
    report('pushDataset', s3push, s3pushBare, 'bare PutObject loop (ceiling)');
    console.log(
      `    one object at a time ${fmt(s3pushSeq)} -> ours ${(s3pushSeq / median(s3push)).toFixed(1)}x faster (goal >= 10x), the bare loop ${(s3pushSeq / median(s3pushBare)).toFixed(1)}x; ours / ceiling = ${(median(s3push) / median(s3pushBare)).toFixed(2)} (<= 1.2)`,
    );
    report('pullDataset into a fresh clone', s3pull, s3pullBare, 'bare GetObject + verify + write loop (ceiling)');
    console.log(
      `    one object at a time ${fmt(s3pullSeq)} -> ours ${(s3pullSeq / median(s3pull)).toFixed(1)}x faster (goal >= 10x), the bare loop ${(s3pullSeq / median(s3pullBare)).toFixed(1)}x; ours / ceiling = ${(median(s3pull) / median(s3pullBare)).toFixed(2)} (<= 1.2)`,
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
