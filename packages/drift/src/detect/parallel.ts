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

/** What every message of one detectDrift call carries: its claims, its reply counter and its options. */
export interface RunContext {
  id: number;
  /** Int32 per job: 0 free, 1 taken by a worker, 2 taken by the calling thread. */
  claims: SharedArrayBuffer;
  /** Int32 [0]: replies posted so far (the calling thread waits on it). */
  signal: SharedArrayBuffer;
  /** The serialisable detectDrift options the column tests read. */
  options: unknown;
}

/**
 * The message a worker receives per column (`index` in the call's job list): the column's numbers are in `slot`, a
 * shared buffer the calling thread reuses (reference first, then current), so no buffer is allocated per column.
 */
export interface JobMessage {
  run: RunContext;
  index: number;
  job: Omit<ColumnJob, 'ref' | 'cur'> & {
    ref: { rows: number; missing: number; length: number };
    cur: { rows: number; missing: number; length: number };
  };
  slot: SharedArrayBuffer;
}

/** The column job a {@link JobMessage} carries, its numbers viewed in the shared slot. */
export function jobOfMessage(message: JobMessage): ColumnJob {
  const { job, slot } = message;
  return {
    ...job,
    ref: { rows: job.ref.rows, missing: job.ref.missing, numbers: new Float64Array(slot, 0, job.ref.length) },
    cur: {
      rows: job.cur.rows,
      missing: job.cur.missing,
      numbers: new Float64Array(slot, 8 * job.ref.length, job.cur.length),
    },
  };
}

/** What a worker answers per column: the outcome, or `skipped` when the calling thread took the column back. */
export type JobReply =
  | { run: number; index: number; skipped: true }
  | { run: number; index: number; skipped: false; outcome: JobOutcome };

/** What each worker is started with: the port it receives columns on. */
export interface WorkerSetup {
  port: MessagePort;
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
 * How many worker threads to use: `workers` itself when a number, else (for 'auto') one per core beyond the calling
 * thread, at most one per two large columns and 8, and none when the large columns hold fewer than
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

/** How {@link runColumnJobs} ran (for tests): jobs done by workers, workers in use. */
export interface RunStats {
  byWorkers: number;
  started: number;
}

interface PoolWorker {
  worker: Worker;
  port: MessagePort;
  alive: boolean;
}

// Workers outlive a call (warm JIT, no start-up per call) and end after IDLE_MS without use. They are unref'd: an
// idle pool never keeps a process alive.
const IDLE_MS = 30_000;
const idle: PoolWorker[] = [];
let idleTimer: { unref?: () => void } | null = null;
let runs = 0;

function takeWorkers(wt: WorkerThreads, count: number): PoolWorker[] {
  const out: PoolWorker[] = [];
  while (out.length < count && idle.length > 0) {
    const w = idle.pop() as PoolWorker;
    if (w.alive) out.push(w);
  }
  while (out.length < count) {
    const { port1, port2 } = new wt.MessageChannel();
    try {
      const worker = startWorker(wt, { port: port2 });
      const w: PoolWorker = { worker, port: port1, alive: true };
      // A worker that fails to load or exits leaves the pool; its columns are taken back by the calling thread.
      worker.on('error', () => {
        w.alive = false;
      });
      worker.on('exit', () => {
        w.alive = false;
        port1.close();
      });
      worker.unref();
      out.push(w);
    } catch {
      port1.close();
      break; // no (more) workers: the calling thread does the rest
    }
  }
  return out;
}

function releaseWorkers(workers: PoolWorker[]): void {
  for (const w of workers) if (w.alive) idle.push(w);
  if (idleTimer !== null) clearTimeout(idleTimer as Parameters<typeof clearTimeout>[0]);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    for (const w of idle.splice(0)) void w.worker.terminate();
  }, IDLE_MS);
  idleTimer.unref?.();
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
  const run: RunContext = {
    id: ++runs,
    claims: new SharedArrayBuffer(4 * jobs.length),
    signal: new SharedArrayBuffer(4),
    options,
  };
  const claims = new Int32Array(run.claims);
  const signal = new Int32Array(run.signal);
  // Per worker, AHEAD shared slots big enough for the largest column pair, reused from column to column.
  let capacity = 0;
  for (const job of jobs) capacity = Math.max(capacity, job.ref.numbers.length + job.cur.numbers.length);
  const workers = takeWorkers(wt, threads);
  const pool = workers.map((w) => ({
    ...w,
    ahead: new Set<number>(),
    slots: [] as { buffer: SharedArrayBuffer; job: number }[],
  }));
  try {
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
          if (reply.run !== run.id) continue; // a late "skipped" from an earlier call
          w.ahead.delete(reply.index);
          for (const slot of w.slots) if (slot.job === reply.index) slot.job = -1;
          if (!reply.skipped) {
            if (stats) stats.byWorkers++;
            finish(reply.index, reply.outcome);
          }
        }
      }
      if (remaining === 0) break;
      for (const w of pool) {
        while (w.ahead.size < AHEAD && next < jobs.length) {
          let slot = w.slots.find((x) => x.job === -1);
          if (!slot) {
            if (w.slots.length >= AHEAD) break; // every slot holds a column the worker has not answered for yet
            slot = { buffer: new SharedArrayBuffer(8 * capacity), job: -1 };
            w.slots.push(slot);
          }
          const i = next++;
          const job = jobs[i] as ColumnJob;
          // One copy of each column, into the worker's slot.
          const view = new Float64Array(slot.buffer);
          view.set(job.ref.numbers, 0);
          view.set(job.cur.numbers, job.ref.numbers.length);
          slot.job = i;
          w.ahead.add(i);
          const message: JobMessage = {
            run,
            index: i,
            job: {
              name: job.name,
              type: job.type,
              role: job.role,
              referenceSize: job.referenceSize,
              ref: { rows: job.ref.rows, missing: job.ref.missing, length: job.ref.numbers.length },
              cur: { rows: job.cur.rows, missing: job.cur.missing, length: job.cur.numbers.length },
            },
            slot: slot.buffer,
          };
          w.port.postMessage(message);
        }
      }
      if (helping && next < jobs.length) {
        runHere(next++);
        continue;
      }
      // Nothing left to hand out: take back a column a worker has not started, else sleep until a reply. (A worker
      // that died inside a column would leave it unanswered: columnDrift's errors are caught and answered, so only
      // the process running out of memory could.)
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
    releaseWorkers(workers);
  }
}
