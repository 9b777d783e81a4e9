// Tuning in worker threads: wall time of a study with a CPU-bound objective on 2 threads vs 1 thread (the baseline,
// measured in the same run). Run: `node scripts/build.mjs @mlops/pipelines && npm run bench -- tuning-workers`.
// These machines are shared and loaded: the load average is printed with the result, and the ratio only says how
// much of a second core this process got while it ran.
import { availableParallelism, loadavg } from 'node:os';
import { createStore } from '@mlops/core';
import { createStudy, floatParam, intParam } from '@mlops/pipelines';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 16);
const WORK = Number(process.env.BENCH_WORK ?? 40_000_000); // loop iterations per trial (~0.2–0.5 s here)

// The objective as a data: URL module, so the bench needs no file beside it.
const source = `
export function objective(trial) {
  const { x, n } = trial.params;
  let acc = 0;
  for (let i = 0; i < ${WORK}; i++) acc += Math.sqrt(i) * 1e-12;
  return (x - 1) ** 2 + n + acc * 0;
}`;
const objective = { module: `data:text/javascript,${encodeURIComponent(source)}` };

async function timeStudy(threads, store, label) {
  const study = await createStudy({
    store,
    name: `bench-${label}-${threads}`,
    space: { x: floatParam(-5, 5), n: intParam(1, 4) },
    sampler: 'random',
    seed: 1,
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await study.optimize(objective, { trials: TRIALS, threads, progress: 'silent' });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  // CPU time of every thread of this process over wall time: how many cores the run actually got.
  const cores = (cpu.user + cpu.system) / 1000 / ms;
  if (r.trials.length !== TRIALS || r.trials.some((t) => t.status !== 'complete')) throw new Error('trials failed');
  return { ms, cores, best: r.best };
}

const store = await createStore('memory://');
try {
  const loadBefore = loadavg()[0];
  // Warm-up (PGlite, the tracker, JIT) outside the timings.
  await timeStudy(1, store, 'warmup');
  const one = await timeStudy(1, store, 'run');
  const two = await timeStudy(2, store, 'run');
  const loadAfter = loadavg()[0];
  if (JSON.stringify(one.best.params) !== JSON.stringify(two.best.params)) throw new Error('best params differ');
  console.log(
    `cores: ${availableParallelism()}, load average (1 min): ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
  );
  console.log(`${TRIALS} trials × ${WORK.toLocaleString('en')} iterations`);
  console.log(`1 thread  : ${(one.ms / 1000).toFixed(2)} s (baseline), ${one.cores.toFixed(2)} cores used on average`);
  console.log(`2 threads : ${(two.ms / 1000).toFixed(2)} s, ${two.cores.toFixed(2)} cores used on average`);
  console.log(`speed-up 2 vs 1 threads: ×${(one.ms / two.ms).toFixed(2)} (ideal ×2.00 on 2 idle cores)`);
  console.log('same best params with 1 and 2 threads: yes');
} finally {
  await store.close();
}
