// Tall data in bounded memory (issue 24): a reference of 10 M rows x 20 numeric columns written as Parquet (row
// groups of 250,000, hyparquet-writer, snappy) and as an Arrow IPC stream into a temporary folder (after checking free
// space with df; deleted afterwards), then, each in a fresh process that opens no store:
//   - profile the Parquet file row group by row group (@mlops/drift/parquet), read the 1 M-row current batch from
//     its own Parquet file, detectDrift(profile, current): the goal is under 2 minutes and a peak RSS under 1 GiB;
//   - the same with two worker threads each profiling half of the row groups, merged with mergeProfiles;
//   - the same from the Arrow IPC stream (@mlops/drift/arrow, record batch by record batch);
//   - the ceiling measured the same way: hyparquet decoding every row group with no library code after it.
// Prints wall time, CPU time (all threads) and peak RSS (getrusage maxRSS) of each process, and the load average:
// on a shared machine the wall time is the CPU time stretched by the other jobs. Sizes: DRIFT_TALL_ROWS, DRIFT_TALL_COLS,
// DRIFT_TALL_CURRENT (defaults 10,000,000 / 20 / 1,000,000).
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const ROWS = Number(process.env.DRIFT_TALL_ROWS ?? 10_000_000);
const COLS = Number(process.env.DRIFT_TALL_COLS ?? 20);
const CURRENT = Number(process.env.DRIFT_TALL_CURRENT ?? 1_000_000);
const ROW_GROUP = 250_000;
const GOAL_SECONDS = 120;
const GOAL_RSS = 1024 ** 3;

function xorshift(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Column j of a row block: a mix of shapes (normal, log-normal, uniform, exponential, bimodal, integers). */
function column(j, n, seed, shift) {
  const next = xorshift(seed * 7919 + j * 104729 + 1);
  const out = new Float64Array(n);
  const normal = () => {
    let s = 0;
    for (let k = 0; k < 12; k++) s += next();
    return s - 6;
  };
  const kind = j % 6;
  for (let i = 0; i < n; i++) {
    const z = normal() + shift;
    out[i] =
      kind === 0
        ? 50 + 10 * z
        : kind === 1
          ? Math.exp(z / 2)
          : kind === 2
            ? next() * 100 + shift * 10
            : kind === 3
              ? -Math.log(1 - next()) * (1 + shift)
              : kind === 4
                ? (next() < 0.5 ? -2 : 2) + z
                : Math.round(10 + 3 * z);
  }
  return out;
}

const names = Array.from({ length: COLS }, (_, j) => `f${String(j).padStart(2, '0')}`);
// current batch: the first quarter of the columns shifted by 0.3 sigma, the rest drawn like the reference
const shiftOf = (j) => (j < COLS / 4 ? 0.3 : 0);

async function writeFiles(dir) {
  const { ParquetWriter } = await import('hyparquet-writer');
  const { fileWriter } = await import('hyparquet-writer/src/node.js');
  const { RecordBatchStreamWriter, makeVector, Table } = await import('apache-arrow');
  const schema = [
    { name: 'root', num_children: COLS },
    ...names.map((name) => ({ name, type: 'DOUBLE', repetition_type: 'REQUIRED' })),
  ];
  const t0 = performance.now();
  const parquet = new ParquetWriter({ writer: fileWriter(join(dir, 'reference.parquet')), schema });
  const arrowOut = createWriteStream(join(dir, 'reference.arrows'));
  const arrow = new RecordBatchStreamWriter();
  arrow.pipe(arrowOut);
  for (let block = 0; block * ROW_GROUP < ROWS; block++) {
    const n = Math.min(ROW_GROUP, ROWS - block * ROW_GROUP);
    const cols = names.map((_, j) => column(j, n, block + 1, 0));
    parquet.write({
      columnData: names.map((name, j) => ({ name, data: cols[j], type: 'DOUBLE', nullable: false })),
      rowGroupSize: n,
    });
    const table = new Table(Object.fromEntries(names.map((name, j) => [name, makeVector(cols[j])])));
    for (const batch of table.batches) arrow.write(batch);
    if (arrowOut.writableLength > 64 * 1024 ** 2) await new Promise((r) => arrowOut.once('drain', r));
  }
  parquet.finish();
  arrow.finish();
  await new Promise((r) => arrowOut.on('finish', r));
  const current = new ParquetWriter({ writer: fileWriter(join(dir, 'current.parquet')), schema });
  current.write({
    columnData: names.map((name, j) => ({
      name,
      data: column(j, CURRENT, 9_999, shiftOf(j)),
      type: 'DOUBLE',
      nullable: false,
    })),
    rowGroupSize: ROW_GROUP,
  });
  current.finish();
  return (performance.now() - t0) / 1000;
}

/** Runs in a child: one task, then prints a JSON line with its figures and its peak RSS. */
async function child(task, dir) {
  const t0 = performance.now();
  const out = { task };
  if (task === 'write') {
    out.seconds = await writeFiles(dir);
  } else if (task === 'decode') {
    // the ceiling: hyparquet decoding every row group (what profileParquet reads), nothing done with the values
    const hp = await import('hyparquet');
    const file = await hp.asyncBufferFromFile(join(dir, 'reference.parquet'));
    const scan = await hp.parquetScan({ file });
    let values = 0;
    for (const range of scan.ranges)
      for (const column of names) values += (await scan.readColumn({ column, ...range })).length;
    out.values = values;
  } else {
    const { detectDrift, mergeProfiles } = await import('@mlops/drift');
    const { parquetInfo, profileParquet, readParquet } = await import('@mlops/drift/parquet');
    const { profileArrow } = await import('@mlops/drift/arrow');
    const { createReadStream } = await import('node:fs');
    const file = join(dir, 'reference.parquet');
    let profile;
    if (task === 'parquet') profile = await profileParquet(file);
    else if (task === 'arrow') profile = await profileArrow(createReadStream(join(dir, 'reference.arrows')));
    else {
      // partitions profiled in parallel: each worker thread profiles a contiguous share of the row groups, and the
      // calling thread merges their profiles
      const { rowGroups } = await parquetInfo(file);
      const threads = 2;
      const shares = Array.from({ length: threads }, (_, t) => ({
        from: Math.floor((t * rowGroups) / threads),
        to: Math.floor(((t + 1) * rowGroups) / threads),
      }));
      const parts = await Promise.all(
        shares.map(
          (rowGroups) =>
            new Promise((resolve, reject) => {
              const w = new Worker(import.meta.filename, { workerData: { file, rowGroups } });
              w.once('message', (json) => resolve(JSON.parse(json)));
              w.once('error', reject);
            }),
        ),
      );
      profile = parts.reduce((a, b) => mergeProfiles(a, b));
    }
    out.profileSeconds = (performance.now() - t0) / 1000;
    out.profileBytes = JSON.stringify(profile).length;
    const t1 = performance.now();
    const current = await readParquet(join(dir, 'current.parquet'));
    out.readCurrentSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const report = detectDrift(profile, current);
    out.detectSeconds = (performance.now() - t2) / 1000;
    out.rows = profile.rows;
    out.status = report.dataset.status;
    out.drifted = report.columns.filter((c) => c.drifted).map((c) => c.column);
    out.tests = [...new Set(report.columns.map((c) => c.test))];
    out.referenceSize = report.columns[0]?.reference.size;
  }
  out.seconds ??= (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage();
  out.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  out.peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify(out));
}

function run(task, dir) {
  const res = spawnSync(process.execPath, [import.meta.filename, task, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`${task} failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

const gib = (b) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
const mib = (b) => `${(b / 1024 ** 2).toFixed(0)} MiB`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-drift-tall-'));
  try {
    const need = (ROWS + CURRENT) * COLS * 8 * 2.2; // parquet + arrow copies, with margin
    const df = spawnSync('df', ['-Pk', dir], { encoding: 'utf8' });
    const free = Number(df.stdout.trim().split('\n').pop().split(/\s+/)[3]) * 1024;
    if (!(free > need)) {
      console.log(`skipped: ${gib(free)} free in ${tmpdir()}, ${gib(need)} needed`);
      return;
    }
    console.log(
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${availableParallelism()} cores`,
    );
    console.log(
      `reference ${ROWS.toLocaleString('en')} rows x ${COLS} numeric columns, current ${CURRENT.toLocaleString('en')} rows; ${gib(free)} free in ${tmpdir()}`,
    );
    const w = run('write', dir);
    const size = (f) => statSync(join(dir, f)).size;
    console.log(
      `written in ${w.seconds.toFixed(1)} s: reference.parquet ${gib(size('reference.parquet'))} (${Math.ceil(ROWS / ROW_GROUP)} row groups), reference.arrows ${gib(size('reference.arrows'))}, current.parquet ${mib(size('current.parquet'))}`,
    );
    const decode = run('decode', dir);
    console.log(
      `ceiling: hyparquet decoding the reference (no profiling): ${decode.seconds.toFixed(1)} s (CPU ${decode.cpuSeconds.toFixed(1)} s), peak RSS ${mib(decode.peakRss)}`,
    );
    const label = { parquet: 'Parquet', threads: 'Parquet, 2 threads + mergeProfiles', arrow: 'Arrow IPC' };
    for (const task of ['parquet', 'threads', 'arrow']) {
      const r = run(task, dir);
      const ok = r.seconds < GOAL_SECONDS && r.peakRss < GOAL_RSS;
      console.log(
        `${label[task]}: profile ${r.profileSeconds.toFixed(1)} s (${(r.rows / r.profileSeconds / 1e6).toFixed(2)} M rows/s, profile JSON ${mib(r.profileBytes)}), ` +
          `read current ${r.readCurrentSeconds.toFixed(1)} s, detectDrift ${r.detectSeconds.toFixed(1)} s; total ${r.seconds.toFixed(1)} s (CPU ${r.cpuSeconds.toFixed(1)} s), peak RSS ${mib(r.peakRss)} ` +
          `-> goal (< ${GOAL_SECONDS} s, < 1 GiB) ${ok ? 'met' : 'NOT met'}`,
      );
      if (task === 'parquet') {
        console.log(
          `  profile vs bare decoding: ${(r.profileSeconds / decode.seconds).toFixed(2)}x the ceiling's time; tests ${r.tests.join(', ')} on the reference's ${r.referenceSize?.toLocaleString('en')} values; status ${r.status}, drifted: ${r.drifted.join(', ')}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread) {
  // a worker thread of the 'threads' task: profile its share of the row groups
  const { profileParquet } = await import('@mlops/drift/parquet');
  parentPort.postMessage(JSON.stringify(await profileParquet(workerData.file, { rowGroups: workerData.rowGroups })));
} else if (process.argv[2]) await child(process.argv[2], process.argv[3]);
else await main();
