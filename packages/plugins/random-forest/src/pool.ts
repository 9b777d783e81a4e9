// Runs tree jobs in the calling thread or in worker threads, with per-tree callbacks and abort.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlopsError } from '@mlops/core';
import { buildTree, type TreeData, type TreeJob, type TreeResult } from './_internal/build-tree.js';
import type { WorkerRequest, WorkerResponse } from './worker.js';

/** Options of {@link runTreeJobs}. */
export interface RunTreeJobsOptions {
  /** Worker threads to use; 0 trains in the calling thread. */
  workers: number;
  signal?: AbortSignal | undefined;
  /** Called once per finished tree (in completion order). */
  onTree?: ((index: number) => void) | undefined;
}

function aborted(signal: AbortSignal): MlopsError {
  return new MlopsError('ABORTED', { message: 'random forest training was aborted', cause: signal.reason });
}

// From the built package the worker is dist/worker.js beside dist/index.js. From source (vitest, tsx) this module is
// src/pool.ts and the worker src/worker.ts, which a worker thread can only run through tsx (a root devDependency):
// a tiny bootstrap registers tsx's ESM hooks in the worker, then imports the TypeScript entry.
const SOURCE_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });
`;

function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL('./worker.ts', import.meta.url).href;
  return new Worker(SOURCE_BOOTSTRAP, { eval: true, workerData: { tsxApi, entry } });
}

async function runInline(data: TreeData, jobs: TreeJob[], opts: RunTreeJobsOptions): Promise<TreeResult[]> {
  const out: TreeResult[] = new Array(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    if (opts.signal?.aborted) throw aborted(opts.signal);
    out[i] = buildTree(data, jobs[i]!);
    opts.onTree?.(i);
    // Let timers and abort listeners run between trees.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (opts.signal?.aborted) throw aborted(opts.signal);
  return out;
}

function runInWorkers(data: TreeData, jobs: TreeJob[], opts: RunTreeJobsOptions): Promise<TreeResult[]> {
  const n = Math.min(opts.workers, jobs.length);
  const out: TreeResult[] = new Array(jobs.length);
  const workers: Worker[] = [];
  return new Promise<TreeResult[]>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(out);
    };
    const onAbort = () => settle(aborted(opts.signal!));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const dispatch = (w: Worker) => {
      if (settled || next >= jobs.length) return;
      const index = next++;
      w.postMessage({ type: 'tree', index, job: jobs[index]! } satisfies WorkerRequest);
    };
    for (let i = 0; i < n; i++) {
      const w = startWorker();
      workers.push(w);
      w.on('message', (msg: WorkerResponse) => {
        if (settled) return;
        if (msg.type === 'error') {
          const cause = Object.assign(new Error(msg.message), msg.stack ? { stack: msg.stack } : {});
          settle(new MlopsError('INTERNAL', { message: `tree ${msg.index} failed: ${msg.message}`, cause }));
          return;
        }
        out[msg.index] = msg.result;
        finished++;
        opts.onTree?.(msg.index);
        if (finished === jobs.length) settle();
        else dispatch(w);
      });
      w.on('error', (err) =>
        settle(new MlopsError('INTERNAL', { message: `tree worker failed: ${err.message}`, cause: err })),
      );
      w.on('exit', (code) => {
        if (!settled) settle(new MlopsError('INTERNAL', { message: `tree worker exited with code ${code}` }));
      });
      w.postMessage({ type: 'init', data } satisfies WorkerRequest);
      dispatch(w);
    }
  });
}

/** Trains every job's tree, in worker threads when `workers > 0`; results are in job order. */
export async function runTreeJobs(data: TreeData, jobs: TreeJob[], opts: RunTreeJobsOptions): Promise<TreeResult[]> {
  if (jobs.length === 0) return [];
  return opts.workers > 0 ? runInWorkers(data, jobs, opts) : runInline(data, jobs, opts);
}
