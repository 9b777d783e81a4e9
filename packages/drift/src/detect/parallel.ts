// Runs detectDrift's large numerical columns on worker threads as well as the calling thread, and stays synchronous:
// the calling thread hands columns to the workers through MessagePorts, tests columns itself meanwhile, and reads the
// workers' results with receiveMessageOnPort, sleeping on a shared counter (Atomics.wait) when it has nothing left
// to do. Each column is claimed once in a shared array (compare-and-swap), so a column handed to a worker that has not
// started it yet (a worker still loading) is taken back and tested by the calling thread instead. Node only: where
// `process.getBuiltinModule` is missing (browsers) or a worker cannot start, everything runs in the calling thread.
// Every column runs the same code on the same values wherever it runs, so the report is identical.

import type { DriftErrorCode } from '../errors.js';
import type { ColumnRole, ColumnType } from '../profile/input.js';
import type { ColumnDrift } from './schema.js';

/** One column to test: its reference and current numbers and what columnDrift needs besides. */
export interface ColumnJob {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  referenceSize: number;
  ref: { rows: number; missing: number; numbers: Float64Array };
  cur: { rows: number; missing: number; numbers: Float64Array };
}

/** A column's drift, or the error its test threw (code null: not a DriftError). */
export type JobOutcome =
  | { ok: true; value: ColumnDrift }
  | { ok: false; code: DriftErrorCode | null; message: string; stack?: string | undefined };

/** The message a worker receives per column (`index` in the job list). */
export interface JobMessage {
  index: number;
  job: ColumnJob;
}

/** What a worker answers per column: the outcome, or `skipped` when the calling thread took the column back. */
export type JobReply = { index: number; skipped: true } | { index: number; skipped: false; outcome: JobOutcome };

/** What each worker is started with. */
export interface WorkerSetup {
  port: MessagePort;
  /** Int32 per job: 0 free, 1 taken by a worker, 2 taken by the calling thread. */
  claims: SharedArrayBuffer;
  /** Int32 [0]: replies posted so far (the calling thread waits on it). */
  signal: SharedArrayBuffer;
  /** The serialisable detectDrift options the column tests read. */
  options: unknown;
}

/** From this many values in a column pair, the column may go to a worker (smaller ones cost more to hand over). */
export const PARALLEL_COLUMN_FROM = 50_000;
/** 'auto' starts workers only when the large columns hold this many values together. */
export const PARALLEL_WORK_FROM = 2_000_000;
/** Columns handed to one worker ahead of time (so it never waits for the calling thread). */
const AHEAD = 2;

// Node modules are reached through process.getBuiltinModule at run time (no static node: imports: the package
// stays bundleable for browsers).
type WorkerThreads = typeof import('node:worker_threads');
type Worker = import('node:worker_threads').Worker;
type MessagePort = import('node:worker_threads').MessagePort;
type Os = typeof import('node:os');

function builtin<T>(name: string): T | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return (proc?.getBuiltinModule?.(name) as T | undefined) ?? null;
  } catch {
    return null;
  }
}

/**
 * How many worker threads to start: `workers` itself when a number, else (for 'auto') one per core beyond the
 * calling thread, at most one per two large columns and 8, and none when the large columns hold fewer than
 * {@link PARALLEL_WORK_FROM} values together or worker threads are not available.
 */
export function resolveWorkers(
  workers: number | 'auto' | undefined,
  largeColumns: number,
  largeValues: number,
): number {
  if (largeColumns < 2) return 0;
  if (typeof workers === 'number') return Math.min(workers, largeColumns - 1);
  if (largeValues < PARALLEL_WORK_FROM) return 0;
  const os = builtin<Os>('node:os');
  if (!os || !builtin<WorkerThreads>('node:worker_threads')) return 0;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(0, Math.min(cores - 1, Math.floor(largeColumns / 2), 8));
}

// From the built package the worker is dist/detect-worker.js beside the chunk that holds this code. From source
// (vitest, tsx) this module is src/detect/parallel.ts and the worker src/detect/worker.ts, which a worker thread can
// only run through tsx (a root devDependency): a tiny bootstrap registers tsx's ESM hooks, then imports it.
const SOURCE_BOOTSTRAP = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });
`;

function startWorker(wt: WorkerThreads, setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new wt.Worker(new URL('./detect-worker.js', here), { workerData: setup, transferList: [setup.port] });
  }
  const mod = builtin<typeof import('node:module')>('node:module');
  const url = builtin<typeof import('node:url')>('node:url');
  if (!mod || !url) throw new Error('node:module is not available');
  const tsxApi = url.pathToFileURL(mod.createRequire(here).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL('./worker.ts', here).href;
  return new wt.Worker(SOURCE_BOOTSTRAP, {
    eval: true,
    workerData: { ...setup, tsxApi, entry },
    transferList: [setup.port],
  });
}

/** Runs a job in the calling thread, catching what columnDrift throws. */
export function runJob(job: ColumnJob, compute: (job: ColumnJob) => ColumnDrift): JobOutcome {
  try {
    return { ok: true, value: compute(job) };
  } catch (err) {
    const code =
      (err as { name?: string; code?: DriftErrorCode }).name === 'DriftError'
        ? (err as { code: DriftErrorCode }).code
        : null;
    const e = err as Error;
    return { ok: false, code, message: e?.message ?? String(err), stack: e?.stack };
  }
}

/** How {@link runColumnJobs} ran (for tests): jobs done by workers, workers started. */
export interface RunStats {
  byWorkers: number;
  started: number;
}

/**
 * Tests `jobs` with `threads` workers besides the calling thread and returns their outcomes in job order;
 * `onDone(index)` is called (on the calling thread) as each finishes. With `callerWorks: false` the calling thread
 * only hands columns out and waits (unless no worker starts at all).
 */
export function runColumnJobs(
  jobs: ColumnJob[],
  threads: number,
  options: unknown,
  compute: (job: ColumnJob) => ColumnDrift,
  onDone: (index: number) => void,
  { callerWorks = true, stats }: { callerWorks?: boolean; stats?: RunStats } = {},
): JobOutcome[] {
  const outcomes = new Array<JobOutcome>(jobs.length);
  const wt = threads > 0 ? builtin<WorkerThreads>('node:worker_threads') : null;
  if (!wt) {
    for (let i = 0; i < jobs.length; i++) {
      outcomes[i] = runJob(jobs[i] as ColumnJob, compute);
      onDone(i);
    }
    return outcomes;
  }
  const claims = new Int32Array(new SharedArrayBuffer(4 * jobs.length));
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const pool: { worker: Worker; port: MessagePort; ahead: Set<number> }[] = [];
  try {
    for (let k = 0; k < threads; k++) {
      const { port1, port2 } = new wt.MessageChannel();
      try {
        const worker = startWorker(wt, { port: port2, claims: claims.buffer, signal: signal.buffer, options });
        worker.unref();
        pool.push({ worker, port: port1, ahead: new Set() });
      } catch {
        port1.close();
        break; // no (more) workers: the calling thread does the rest
      }
    }
    if (stats) stats.started = pool.length;
    const helping = callerWorks || pool.length === 0;
    let remaining = jobs.length;
    let next = 0;
    const finish = (i: number, outcome: JobOutcome) => {
      outcomes[i] = outcome;
      remaining--;
      onDone(i);
    };
    const runHere = (i: number): boolean => {
      if (Atomics.compareExchange(claims, i, 0, 2) !== 0) return false;
      finish(i, runJob(jobs[i] as ColumnJob, compute));
      return true;
    };
    while (remaining > 0) {
      const seen = Atomics.load(signal, 0);
      for (const w of pool) {
        for (let m = wt.receiveMessageOnPort(w.port); m !== undefined; m = wt.receiveMessageOnPort(w.port)) {
          const reply = m.message as JobReply;
          w.ahead.delete(reply.index);
          if (!reply.skipped) {
            if (stats) stats.byWorkers++;
            finish(reply.index, reply.outcome);
          }
        }
      }
      if (remaining === 0) break;
      for (const w of pool) {
        while (w.ahead.size < AHEAD && next < jobs.length) {
          const i = next++;
          w.ahead.add(i);
          const job = jobs[i] as ColumnJob;
          // One copy of each column, moved (not copied again) into the worker.
          const ref = job.ref.numbers.slice();
          const cur = job.cur.numbers.slice();
          const message: JobMessage = {
            index: i,
            job: { ...job, ref: { ...job.ref, numbers: ref }, cur: { ...job.cur, numbers: cur } },
          };
          w.port.postMessage(message, [ref.buffer, cur.buffer]);
        }
      }
      if (helping && next < jobs.length) {
        runHere(next++);
        continue;
      }
      // Nothing left to hand out: take back a column a worker has not started, else sleep until a reply.
      let stole = false;
      for (const w of helping ? pool : []) {
        for (const i of w.ahead) {
          if (runHere(i)) {
            stole = true;
            break;
          }
        }
        if (stole) break;
      }
      if (!stole && remaining > 0) Atomics.wait(signal, 0, seen, 200);
    }
    return outcomes;
  } finally {
    for (const w of pool) {
      w.port.close();
      void w.worker.terminate();
    }
  }
}
