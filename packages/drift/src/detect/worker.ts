// Worker thread of detectDrift's `workers` option (see parallel.ts): tests the columns the calling thread hands over,
// unless the calling thread has taken a column back first.
import { columnDriftOfJob } from './detect-drift.js';
import type { JobMessage, JobReply, WorkerSetup } from './parallel.js';
import { jobOfMessage, runJob } from './parallel.js';

// node:worker_threads through getBuiltinModule: the package sources carry no static node: imports.
const { workerData } = process.getBuiltinModule('node:worker_threads');
const setup = workerData as WorkerSetup;
let run: { id: number; claims: Int32Array; signal: Int32Array } | null = null;

setup.port.on('message', (message: JobMessage) => {
  if (run?.id !== message.run.id) {
    run = {
      id: message.run.id,
      claims: new Int32Array(message.run.claims),
      signal: new Int32Array(message.run.signal),
    };
  }
  const { claims, signal } = run;
  const options = message.run.options as Parameters<typeof columnDriftOfJob>[1];
  let reply: JobReply;
  if (Atomics.compareExchange(claims, message.index, 0, 1) !== 0) {
    reply = { run: message.run.id, index: message.index, skipped: true };
  } else {
    reply = {
      run: message.run.id,
      index: message.index,
      skipped: false,
      outcome: runJob(jobOfMessage(message), (job) => columnDriftOfJob(job, options)),
    };
  }
  setup.port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
