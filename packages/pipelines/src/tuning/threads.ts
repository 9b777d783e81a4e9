import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlopsError } from '@mlops/core';
import type { Choice } from './space.js';

/**
 * An objective that runs in worker threads: a module and the name of the function it exports. Functions cannot
 * cross threads, so each thread imports the module itself (once: top-level code, such as loading a dataset, runs
 * once per thread).
 */
export interface ObjectiveModule {
  /**
   * The module: a `file:` URL, an absolute path, a path relative to the working directory (`./…`), or a package
   * specifier. It must be loadable by plain Node (JavaScript, or TypeScript through a loader in `execArgv`).
   */
  module: string | URL;
  /**
   * The exported function `(trial: ThreadTrial) => number | Promise<number>`.
   * @default 'objective'
   */
  export?: string;
  /**
   * Passed to every thread as `workerData` (structured clone): read it with `import { workerData } from 'node:worker_threads'`.
   * @default undefined
   */
  workerData?: unknown;
}

/** What an objective running in a worker thread receives (the trial's store access goes through the coordinator). */
export interface ThreadTrial<P = Record<string, Choice>> {
  /** The trial number. */
  readonly number: number;
  /** The sampled params. */
  readonly params: P;
  /** Aborted when `optimize` is aborted or the trial's lease was lost. */
  readonly signal: AbortSignal;
  /** Records an intermediate value at a step (see `Trial.report`). */
  report(value: number, step: number): Promise<void>;
  /** True when the pruner says the trial is hopeless. */
  shouldPrune(): Promise<boolean>;
  /** Stops the trial as pruned (throws; let it propagate). */
  prune(): never;
  /** Logs a metric on the trial's run. */
  logMetric(key: string, value: number, step?: number): Promise<void>;
  /** Sets a tag on the trial's run. */
  setTag(key: string, value: string): Promise<void>;
}

/** The coordinator's side of one trial: the calls a thread may make. */
export interface ThreadTrialHost {
  number: number;
  params: Record<string, Choice>;
  signal: AbortSignal;
  report(value: number, step: number): Promise<void>;
  shouldPrune(): Promise<boolean>;
  logMetric(key: string, value: number, step?: number): Promise<void>;
  setTag(key: string, value: string): Promise<void>;
}

/** A pool of worker threads that run one objective module. */
export interface ThreadPool {
  readonly size: number;
  /** Runs one trial on an idle thread; resolves with the objective's value, rejects with its error (or `PRUNED`). */
  run(trial: ThreadTrialHost): Promise<unknown>;
  /** Terminates every thread. */
  close(): Promise<void>;
}

/** Thrown by {@link ThreadPool.run} when the objective called `trial.prune()`. */
export const THREAD_PRUNED = Symbol.for('mlops.pipelines.thread-pruned');

// The thread's code, evaluated as a CommonJS script (no file to locate in src/ or dist/, no TypeScript loader
// needed). It imports the user's module, answers `run` messages, and forwards trial calls to the coordinator.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const PRUNED = Symbol.for('mlops.pipelines.pruned-in-thread');
let objective;
const aborts = new Map();
const pending = new Map();
let nextCall = 0;
const call = (trial, method, args) => new Promise((resolve, reject) => {
  const callId = nextCall++;
  pending.set(callId, { resolve, reject });
  parentPort.postMessage({ type: 'call', trial, callId, method, args });
});
const serialize = (err) => {
  if (err && typeof err === 'object') {
    return { message: String(err.message ?? err), name: String(err.name ?? 'Error'), stack: err.stack === undefined ? undefined : String(err.stack), code: err.code === undefined ? undefined : String(err.code), pruned: err[PRUNED] === true };
  }
  return { message: String(err), name: 'Error', pruned: false };
};
parentPort.on('message', async (m) => {
  if (m.type === 'reply') {
    const p = pending.get(m.callId);
    pending.delete(m.callId);
    if (!p) return;
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code }));
    else p.resolve(m.value);
    return;
  }
  if (m.type === 'abort') {
    aborts.get(m.trial)?.abort(new Error(m.reason ?? 'aborted'));
    return;
  }
  if (m.type !== 'run') return;
  const controller = new AbortController();
  aborts.set(m.trial, controller);
  const number = m.number;
  const trial = {
    number,
    params: m.params,
    signal: controller.signal,
    report: (value, step) => call(m.trial, 'report', [value, step]),
    shouldPrune: () => call(m.trial, 'shouldPrune', []),
    logMetric: (key, value, step) => call(m.trial, 'logMetric', [key, value, step]),
    setTag: (key, value) => call(m.trial, 'setTag', [key, value]),
    prune() { throw Object.assign(new Error('trial ' + number + ' pruned'), { [PRUNED]: true }); },
  };
  try {
    const value = await objective(trial);
    parentPort.postMessage({ type: 'result', trial: m.trial, value });
  } catch (err) {
    parentPort.postMessage({ type: 'error', trial: m.trial, error: serialize(err) });
  } finally {
    aborts.delete(m.trial);
  }
});
import(BOOT.href).then(
  (mod) => {
    objective = mod[BOOT.exportName];
    if (typeof objective !== 'function') {
      parentPort.postMessage({ type: 'load-error', error: { message: 'the module does not export a function "' + BOOT.exportName + '" (found ' + typeof objective + ')' } });
    } else {
      parentPort.postMessage({ type: 'ready' });
    }
  },
  (err) => parentPort.postMessage({ type: 'load-error', error: serialize(err) }),
);
`;

/** Resolves an {@link ObjectiveModule}'s `module` to a URL a thread can import. */
export function objectiveModuleHref(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('./') || module.startsWith('../')) return pathToFileURL(resolve(module)).href;
  // A package specifier: resolved by the thread from the working directory, as `node -e "import('pkg')"` would.
  return module;
}

interface Slot {
  worker: Worker;
  busy?: {
    id: number;
    host: ThreadTrialHost;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
    onAbort: () => void;
  };
}

const errorFrom = (e: { message: string; name?: string; stack?: string; code?: string }) => {
  const err = new Error(e.message);
  if (e.name) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code) (err as Error & { code?: string }).code = e.code;
  return err;
};

/**
 * Starts `size` worker threads that import the objective module; resolves once every thread has loaded it (a module
 * that fails to load, or has no such export, rejects with `INVALID_INPUT`). A thread that dies mid-trial fails that
 * trial and is replaced.
 */
export async function createThreadPool(objective: ObjectiveModule, size: number): Promise<ThreadPool> {
  const href = objectiveModuleHref(objective.module);
  const exportName = objective.export ?? 'objective';
  const slots: Slot[] = [];
  const idle: Slot[] = [];
  const waiting: { resolve: (s: Slot) => void; reject: (e: unknown) => void }[] = [];
  let closed = false;
  let broken: unknown;
  let nextId = 0;

  const release = (slot: Slot) => {
    const w = waiting.shift();
    if (w) w.resolve(slot);
    else idle.push(slot);
  };

  const spawn = (): Promise<Slot> =>
    new Promise((resolveSlot, rejectSlot) => {
      // The bootstrap's settings are part of its source, so `workerData` is exactly the user's.
      const worker = new Worker(`const BOOT = ${JSON.stringify({ href, exportName })};\n${WORKER_SOURCE}`, {
        eval: true,
        workerData: objective.workerData,
      });
      const slot: Slot = { worker };
      let ready = false;
      worker.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'ready') {
          ready = true;
          resolveSlot(slot);
          return;
        }
        if (m.type === 'load-error') {
          const e = m.error as { message: string };
          rejectSlot(
            new MlopsError('INVALID_INPUT', {
              message: `cannot load the objective ${exportName} from ${href}: ${e.message}`,
              details: [{ path: 'objective.module', message: e.message }],
            }),
          );
          void worker.terminate();
          return;
        }
        const busy = slot.busy;
        if (!busy || m.trial !== busy.id) return;
        if (m.type === 'call') {
          const args = m.args as unknown[];
          const host = busy.host;
          const method = m.method as string;
          const fn =
            method === 'report'
              ? () => host.report(args[0] as number, args[1] as number)
              : method === 'shouldPrune'
                ? () => host.shouldPrune()
                : method === 'logMetric'
                  ? () => host.logMetric(args[0] as string, args[1] as number, args[2] as number | undefined)
                  : method === 'setTag'
                    ? () => host.setTag(args[0] as string, args[1] as string)
                    : () => Promise.reject(new Error(`unknown trial method ${method}`));
          fn().then(
            (value) => worker.postMessage({ type: 'reply', callId: m.callId, value }),
            (err: unknown) =>
              worker.postMessage({
                type: 'reply',
                callId: m.callId,
                error: {
                  message: err instanceof Error ? err.message : String(err),
                  name: err instanceof Error ? err.name : 'Error',
                  code:
                    (err as { code?: unknown })?.code === undefined
                      ? undefined
                      : String((err as { code?: unknown }).code),
                },
              }),
          );
          return;
        }
        if (m.type === 'result' || m.type === 'error') {
          slot.busy = undefined;
          busy.host.signal.removeEventListener('abort', busy.onAbort);
          if (m.type === 'result') busy.resolve(m.value);
          else {
            const e = m.error as { message: string; name?: string; stack?: string; code?: string; pruned?: boolean };
            busy.reject(e.pruned ? Object.assign(errorFrom(e), { [THREAD_PRUNED]: true }) : errorFrom(e));
          }
          release(slot);
        }
      });
      let gone = false;
      const died = (reason: string) => {
        // 'error' (an uncaught exception in the thread) is followed by 'exit': handle the first one only.
        if (gone) return;
        gone = true;
        if (!ready) {
          rejectSlot(
            new MlopsError('INVALID_INPUT', { message: `the objective thread for ${href} failed: ${reason}` }),
          );
          return;
        }
        const i = slots.indexOf(slot);
        if (i >= 0) slots.splice(i, 1);
        const j = idle.indexOf(slot);
        if (j >= 0) idle.splice(j, 1);
        const busy = slot.busy;
        slot.busy = undefined;
        if (busy) {
          busy.host.signal.removeEventListener('abort', busy.onAbort);
          busy.reject(
            new MlopsError('INTERNAL', {
              message: `the worker thread running trial ${busy.host.number} died: ${reason}`,
            }),
          );
        }
        if (closed) return;
        // Replace the dead thread so the pool keeps its size.
        spawn().then(
          (s) => {
            if (closed) {
              void s.worker.terminate();
              return;
            }
            slots.push(s);
            release(s);
          },
          (err: unknown) => {
            broken = err;
            if (slots.length === 0) for (const w of waiting.splice(0)) w.reject(err);
          },
        );
      };
      worker.on('error', (err) => died(err.message));
      worker.on('exit', (code) => {
        if (!closed) died(`exited with code ${code}`);
      });
    });

  try {
    const started = await Promise.all(Array.from({ length: size }, spawn));
    slots.push(...started);
    idle.push(...started);
  } catch (err) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw err;
  }

  return {
    size,
    async run(host) {
      if (closed) throw new MlopsError('INTERNAL', { message: 'the thread pool is closed' });
      if (slots.length === 0 && broken !== undefined) throw broken;
      const slot = idle.pop() ?? (await new Promise<Slot>((resolve, reject) => waiting.push({ resolve, reject })));
      const id = nextId++;
      return new Promise((resolveRun, rejectRun) => {
        const onAbort = () => {
          const reason = host.signal.reason;
          slot.worker.postMessage({
            type: 'abort',
            trial: id,
            reason: reason instanceof Error ? reason.message : reason === undefined ? undefined : String(reason),
          });
        };
        slot.busy = { id, host, resolve: resolveRun, reject: rejectRun, onAbort };
        host.signal.addEventListener('abort', onAbort, { once: true });
        slot.worker.postMessage({ type: 'run', trial: id, number: host.number, params: host.params });
        if (host.signal.aborted) onAbort();
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
