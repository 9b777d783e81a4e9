// Drift statistics against scipy/numpy in the same run: KS, PSI and Wasserstein at 1e3, 1e5 and 1e6 values per side,
// and KS over 590 columns x 1,567 rows (SECOM-shaped) against scipy's ks_2samp looped over the columns.
// Both sides time only the call (performance.now / time.perf_counter), never start-up or data loading; each figure
// is the median of several repetitions. Python is skipped with a message when /usr/bin/python3 + scipy is absent.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ksTest, psi, wassersteinDistance } from '@mlops/drift';

const PYTHON = '/usr/bin/python3';
const SIZES = [1e3, 1e5, 1e6];
const COLS = 590;
const ROWS = 1567;

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

function normal(n, loc, seed) {
  const next = xorshift(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += next();
    out[i] = s - 6 + loc;
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeJs(fn, reps) {
  fn(); // warm-up (JIT)
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

const repsFor = (n) => (n >= 1e6 ? 3 : n >= 1e5 ? 5 : 50);

const PY_SCRIPT = `
import json, sys, time
import numpy as np
from scipy import stats

def median_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return float(np.median(ts))

def psi_quantile(ref, cur, bins=10):
    # the same rule as @mlops/drift psi(binning: 'quantile'): numpy quantile edges, open outer edges, 1e-4 floor
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    r = np.bincount(np.searchsorted(inner, ref, side='right'), minlength=len(inner) + 1) / len(ref)
    c = np.bincount(np.searchsorted(inner, cur, side='right'), minlength=len(inner) + 1) / len(cur)
    r = np.where(r == 0, 1e-4, r); c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))

cfg = json.loads(sys.argv[1])
out = {'sizes': {}, 'values': {}}
for n, reps in cfg['sizes']:
    ref = np.fromfile(f"{cfg['dir']}/ref_{n}.bin", dtype='<f8')
    cur = np.fromfile(f"{cfg['dir']}/cur_{n}.bin", dtype='<f8')
    out['sizes'][str(n)] = {
        'ks': median_time(lambda: stats.ks_2samp(ref, cur), reps),
        'psi': median_time(lambda: psi_quantile(ref, cur), reps),
        'wasserstein': median_time(lambda: stats.wasserstein_distance(ref, cur), reps),
    }
    out['values'][str(n)] = {'ks': float(stats.ks_2samp(ref, cur).pvalue), 'psi': psi_quantile(ref, cur),
                             'wasserstein': float(stats.wasserstein_distance(ref, cur))}
cols, rows = cfg['cols'], cfg['rows']
R = np.fromfile(f"{cfg['dir']}/secom_ref.bin", dtype='<f8').reshape(cols, rows)
C = np.fromfile(f"{cfg['dir']}/secom_cur.bin", dtype='<f8').reshape(cols, rows)
def ks_loop():
    return [stats.ks_2samp(R[j], C[j]).pvalue for j in range(cols)]
out['ksLoop'] = median_time(ks_loop, 3)
print(json.dumps(out))
`;

function pythonAvailable() {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

const needBytes = (2 * SIZES.reduce((a, b) => a + b, 0) + 2 * COLS * ROWS) * 8 * 1.5;
const free = (() => {
  try {
    const s = statfsSync(tmpdir());
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
})();
if (free < needBytes) {
  console.log(
    `skipped: needs ${(needBytes / 1e6).toFixed(0)} MB free in ${tmpdir()}, has ${(free / 1e6).toFixed(0)} MB`,
  );
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'drift-stats-bench-'));
try {
  const data = {};
  for (const n of SIZES) {
    const ref = normal(n, 0, 1000 + n);
    const cur = normal(n, 0.05, 2000 + n);
    data[n] = { ref, cur };
    writeFileSync(join(dir, `ref_${n}.bin`), Buffer.from(ref.buffer));
    writeFileSync(join(dir, `cur_${n}.bin`), Buffer.from(cur.buffer));
  }
  // SECOM-shaped matrix, column-major: column j occupies [j*ROWS, (j+1)*ROWS)
  const secomRef = new Float64Array(COLS * ROWS);
  const secomCur = new Float64Array(COLS * ROWS);
  for (let j = 0; j < COLS; j++) {
    secomRef.set(normal(ROWS, 0, 10_000 + j), j * ROWS);
    secomCur.set(normal(ROWS, j % 10 === 0 ? 0.2 : 0, 20_000 + j), j * ROWS);
  }
  writeFileSync(join(dir, 'secom_ref.bin'), Buffer.from(secomRef.buffer));
  writeFileSync(join(dir, 'secom_cur.bin'), Buffer.from(secomCur.buffer));

  const js = {};
  for (const n of SIZES) {
    const { ref, cur } = data[n];
    const reps = repsFor(n);
    js[n] = {
      ks: timeJs(() => ksTest(ref, cur), reps),
      psi: timeJs(() => psi(ref, cur), reps),
      wasserstein: timeJs(() => wassersteinDistance(ref, cur), reps),
    };
  }
  const refCols = Array.from({ length: COLS }, (_, j) => secomRef.subarray(j * ROWS, (j + 1) * ROWS));
  const curCols = Array.from({ length: COLS }, (_, j) => secomCur.subarray(j * ROWS, (j + 1) * ROWS));
  const jsKsLoop = timeJs(() => {
    for (let j = 0; j < COLS; j++) ksTest(refCols[j], curCols[j]);
  }, 3);

  let py = null;
  if (!pythonAvailable()) {
    console.log(`Python baseline skipped: ${PYTHON} with scipy/numpy not found; printing TypeScript times only.`);
  } else {
    const cfg = { dir, sizes: SIZES.map((n) => [n, repsFor(n)]), cols: COLS, rows: ROWS };
    const r = spawnSync(PYTHON, ['-c', PY_SCRIPT, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`Python baseline failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
    } else {
      py = JSON.parse(r.stdout.trim().split('\n').pop());
    }
  }

  const fmt = (s) =>
    s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} µs`;
  console.log('statistic  values/side      TS time   Python time   TS/Python (≤ 1.0× is the aim at 1e6)');
  for (const n of SIZES) {
    for (const stat of ['ks', 'psi', 'wasserstein']) {
      const t = js[n][stat];
      const p = py?.sizes[String(n)]?.[stat];
      const ratio = p ? `${(t / p).toFixed(2)}×` : 'n/a';
      console.log(
        `${stat.padEnd(11)}${String(n).padStart(11)}  ${fmt(t).padStart(11)}  ${(p ? fmt(p) : 'skipped').padStart(12)}   ${ratio}`,
      );
    }
  }
  if (py) {
    // same data, same answers (sanity check that both sides computed the same thing)
    for (const n of SIZES) {
      const { ref, cur } = data[n];
      const v = py.values[String(n)];
      const dk = Math.abs(ksTest(ref, cur).pValue - v.ks);
      const dp = Math.abs(psi(ref, cur) - v.psi);
      const dw = Math.abs(wassersteinDistance(ref, cur) - v.wasserstein);
      if (Math.max(dk, dp, dw) > 1e-6) console.log(`WARNING: results differ at n=${n}: ks ${dk} psi ${dp} w ${dw}`);
    }
  }
  const pyLoop = py?.ksLoop;
  console.log(
    `KS over ${COLS} columns x ${ROWS} rows: TS ${fmt(jsKsLoop)}, scipy ks_2samp loop ${pyLoop ? fmt(pyLoop) : 'skipped'}` +
      (pyLoop ? `, TS/Python ${(jsKsLoop / pyLoop).toFixed(3)}× (${(pyLoop / jsKsLoop).toFixed(1)}× faster)` : ''),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
