// Worker thread entry: receives the training data once, then tree jobs, and answers each with the trained tree.
// Built as its own tsup entry (dist/worker.js) and loaded by the trainer with `new URL('./worker.js', import.meta.url)`.
import { parentPort } from 'node:worker_threads';
import { buildTree, type TreeData, type TreeJob } from './_internal/build-tree.js';

/** Messages the trainer sends to a worker. */
export type WorkerRequest = { type: 'init'; data: TreeData } | { type: 'tree'; index: number; job: TreeJob };

/** Messages a worker sends back. */
export type WorkerResponse =
  | { type: 'tree'; index: number; result: ReturnType<typeof buildTree> }
  | { type: 'error'; index: number; message: string; stack?: string };

let data: TreeData | undefined;

parentPort?.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    data = msg.data;
    return;
  }
  try {
    if (!data) throw new Error('worker got a tree job before its data');
    const result = buildTree(data, msg.job);
    parentPort?.postMessage({ type: 'tree', index: msg.index, result } satisfies WorkerResponse);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    parentPort?.postMessage({
      type: 'error',
      index: msg.index,
      message: e.message,
      ...(e.stack ? { stack: e.stack } : {}),
    } satisfies WorkerResponse);
  }
});
