// Drift statistics against scipy/numpy in the same run: KS, PSI and Wasserstein at 1e3, 1e5 and 1e6 values per side on
// the bench's data (Irwin–Hall normals, current shifted by 0.05), at 1e6 on normal data shifted by 0.1 (where scipy's
// KS p-value step is cheap: the anchor's time varies with the data, ours should not), and KS over 590 columns x 1,567
// rows (SECOM-shaped) against scipy's ks_2samp looped over the columns.
// Both sides time only the call (performance.now / time.perf_counter), never start-up or data loading. The machine is
// shared and noisy, so JS and Python are measured in alternating rounds (each round: every JS figure, then every
// Python figure in a fresh /usr/bin/python3), and each figure is the median of all its repetitions over the rounds.
// Goal (issue 24): each statistic at 1e6 per side ≤ 0.33x scipy/numpy's time on both data sets.
// Python is skipped with a message when /usr/bin/python3 + scipy is absent. Peak RSS and the load average are printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ksTest, psi, wassersteinDistance } from '@mlops/drift';

const PYTHON = '/usr/bin/python3';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL = 0.33;
const COLS = 590;
const ROWS = 1567;
const STATS = ['ks', 'psi', 'wasserstein'];

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

/** Irwin–Hall approximation of a normal (the bench's historical data). */
function irwinHall(n, loc, seed) {
  const next = xorshift(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += next();
    out[i] = s - 6 + loc;
  }
  return out;
}

/** Box–Muller normals. */
function gaussian(n, loc, seed) {
  const next = xorshift(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()) + loc;
  return out;
}

const CASES = [
  { key: 'bench-1000', set: 'shift 0.05', n: 1e3, reps: 50, make: (s) => irwinHall(1e3, s ? 0.05 : 0, 2000 * s + 1e3) },
  {
    key: 'bench-100000',
    set: 'shift 0.05',
    n: 1e5,
    reps: 5,
    make: (s) => irwinHall(1e5, s ? 0.05 : 0, 2000 * s + 1e5),
  },
  {
    key: 'bench-1000000',
    set: 'shift 0.05',
    n: 1e6,
    reps: 3,
    make: (s) => irwinHall(1e6, s ? 0.05 : 0, 2000 * s + 1e6),
  },
  { key: 'normal-1000000', set: 'normal, shift 0.1', n: 1e6, reps: 3, make: (s) => gaussian(1e6, s ? 0.1 : 0, 7 + s) },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeJs(fn, reps, into) {
  fn(); // warm-up (JIT)
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    into.push((performance.now() - t0) / 1000);
  }
}

const PY_SCRIPT = `
import json, resource, sys, time
import numpy as np
from scipy import stats

def times(fn, reps):
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); out.append(time.perf_counter() - t0)
    return out

def psi_quantile(ref, cur, bins=10):
    # the same rule as @mlops/drift psi(binning: 'quantile'): numpy quantile edges, open outer edges, 1e-4 floor
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    r = np.bincount(np.searchsorted(inner, ref, side='right'), minlength=len(inner) + 1) / len(ref)
    c = np.bincount(np.searchsorted(inner, cur, side='right'), minlength=len(inner) + 1) / len(cur)
    r = np.where(r == 0, 1e-4, r); c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))

cfg = json.loads(sys.argv[1])
out = {'times': {}, 'values': {}}
for case in cfg['cases']:
    key, reps = case['key'], case['reps']
    ref = np.fromfile(f"{cfg['dir']}/{key}-ref.bin", dtype='<f8')
    cur = np.fromfile(f"{cfg['dir']}/{key}-cur.bin", dtype='<f8')
    out['times'][key] = {
        'ks': times(lambda: stats.ks_2samp(ref, cur), reps),
        'psi': times(lambda: psi_quantile(ref, cur), reps),
        'wasserstein': times(lambda: stats.wasserstein_distance(ref, cur), reps),
    }
    out['values'][key] = {'ks': float(stats.ks_2samp(ref, cur).pvalue), 'psi': psi_quantile(ref, cur),
                          'wasserstein': float(stats.wasserstein_distance(ref, cur))}
cols, rows = cfg['cols'], cfg['rows']
R = np.fromfile(f"{cfg['dir']}/secom_ref.bin", dtype='<f8').reshape(cols, rows)
C = np.fromfile(f"{cfg['dir']}/secom_cur.bin", dtype='<f8').reshape(cols, rows)
out['ksLoop'] = times(lambda: [stats.ks_2samp(R[j], C[j]).pvalue for j in range(cols)], 3)
out['maxRssMb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
`;

function pythonAvailable() {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

const needBytes = (2 * CASES.reduce((a, c) => a + c.n, 0) + 2 * COLS * ROWS) * 8 * 1.5;
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

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadStart = load();
const dir = mkdtempSync(join(tmpdir(), 'drift-stats-bench-'));
try {
  const data = {};
  for (const c of CASES) {
    const ref = c.make(0);
    const cur = c.make(1);
    data[c.key] = { ref, cur };
    writeFileSync(join(dir, `${c.key}-ref.bin`), Buffer.from(ref.buffer));
    writeFileSync(join(dir, `${c.key}-cur.bin`), Buffer.from(cur.buffer));
  }
  // SECOM-shaped matrix, column-major: column j occupies [j*ROWS, (j+1)*ROWS)
  const secomRef = new Float64Array(COLS * ROWS);
  const secomCur = new Float64Array(COLS * ROWS);
  for (let j = 0; j < COLS; j++) {
    secomRef.set(irwinHall(ROWS, 0, 10_000 + j), j * ROWS);
    secomCur.set(irwinHall(ROWS, j % 10 === 0 ? 0.2 : 0, 20_000 + j), j * ROWS);
  }
  writeFileSync(join(dir, 'secom_ref.bin'), Buffer.from(secomRef.buffer));
  writeFileSync(join(dir, 'secom_cur.bin'), Buffer.from(secomCur.buffer));
  const refCols = Array.from({ length: COLS }, (_, j) => secomRef.subarray(j * ROWS, (j + 1) * ROWS));
  const curCols = Array.from({ length: COLS }, (_, j) => secomCur.subarray(j * ROWS, (j + 1) * ROWS));

  const fns = { ks: ksTest, psi, wasserstein: wassersteinDistance };
  const js = Object.fromEntries(CASES.map((c) => [c.key, { ks: [], psi: [], wasserstein: [] }]));
  const py = Object.fromEntries(CASES.map((c) => [c.key, { ks: [], psi: [], wasserstein: [] }]));
  const jsLoop = [];
  const pyLoop = [];
  let pyValues = null;
  let pyRss = 0;
  let pyNote = null;
  const python = pythonAvailable();
  if (!python)
    pyNote = `Python baseline skipped: ${PYTHON} with scipy/numpy not found; printing TypeScript times only.`;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) {
      const { ref, cur } = data[c.key];
      for (const stat of STATS) timeJs(() => fns[stat](ref, cur), c.reps, js[c.key][stat]);
    }
    timeJs(
      () => {
        for (let j = 0; j < COLS; j++) ksTest(refCols[j], curCols[j]);
      },
      3,
      jsLoop,
    );
    if (!python || pyNote) continue;
    const cfg = { dir, cases: CASES.map((c) => ({ key: c.key, reps: c.reps })), cols: COLS, rows: ROWS };
    const r = spawnSync(PYTHON, ['-c', PY_SCRIPT, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      pyNote = `Python baseline failed (exit ${r.status}): ${r.stderr.slice(-500)}`;
      continue;
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    for (const c of CASES) for (const stat of STATS) py[c.key][stat].push(...out.times[c.key][stat]);
    pyLoop.push(...out.ksLoop);
    pyValues = out.values;
    pyRss = Math.max(pyRss, out.maxRssMb);
  }
  if (pyNote) console.log(pyNote);

  const fmt = (s) =>
    s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} µs`;
  console.log(`rounds: ${ROUNDS} (JS then Python each round); figures are medians over all repetitions`);
  console.log('data set            statistic  values/side      TS time   Python time   TS/Python   goal at 1e6');
  const verdicts = [];
  for (const c of CASES) {
    for (const stat of STATS) {
      const t = median(js[c.key][stat]);
      const p = py[c.key][stat].length > 0 ? median(py[c.key][stat]) : null;
      const ratio = p ? t / p : null;
      let goal = '';
      if (c.n === 1e6 && ratio !== null) {
        const met = ratio <= GOAL;
        verdicts.push(met);
        goal = `≤ ${GOAL}×: ${met ? 'met' : 'NOT met'}`;
      }
      console.log(
        `${c.set.padEnd(20)}${stat.padEnd(11)}${String(c.n).padStart(11)}  ${fmt(t).padStart(11)}  ${(p ? fmt(p) : 'skipped').padStart(12)}   ${(ratio === null ? 'n/a' : `${ratio.toFixed(3)}×`).padStart(9)}   ${goal}`,
      );
    }
  }
  if (pyValues) {
    // same data, same answers (sanity check that both sides computed the same thing)
    for (const c of CASES) {
      const { ref, cur } = data[c.key];
      const v = pyValues[c.key];
      const dk = Math.abs(ksTest(ref, cur).pValue - v.ks);
      const dp = Math.abs(psi(ref, cur) - v.psi);
      const dw = Math.abs(wassersteinDistance(ref, cur) - v.wasserstein) / Math.max(v.wasserstein, 1e-300);
      if (Math.max(dk, dp, dw) > 1e-6) console.log(`WARNING: results differ on ${c.key}: ks ${dk} psi ${dp} w ${dw}`);
    }
  }
  const jl = median(jsLoop);
  const pl = pyLoop.length > 0 ? median(pyLoop) : null;
  console.log(
    `KS over ${COLS} columns x ${ROWS} rows: TS ${fmt(jl)}, scipy ks_2samp loop ${pl ? fmt(pl) : 'skipped'}` +
      (pl ? `, TS/Python ${(jl / pl).toFixed(3)}× (${(pl / jl).toFixed(1)}× faster)` : ''),
  );
  if (verdicts.length > 0) {
    console.log(
      `goal (each statistic at 1e6 ≤ ${GOAL}× scipy/numpy on both data sets): ${verdicts.every(Boolean) ? 'met' : 'NOT met'}`,
    );
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS: node ${rss.toFixed(0)} MB${pyRss ? `, python ${pyRss.toFixed(0)} MB` : ''}`);
  console.log(
    `load average (1/5/15 min): ${loadStart} at start, ${load()} at end (2-core machines shared with other jobs)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
