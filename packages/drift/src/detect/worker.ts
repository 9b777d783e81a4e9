// Worker thread of detectDrift's `workers` option (see parallel.ts): tests the columns the calling thread hands over,
// unless the calling thread has taken a column back first.
import { columnDriftOfJob } from './detect-drift.js';
import type { JobMessage, JobReply, WorkerSetup } from './parallel.js';
import { runJob } from './parallel.js';

// node:worker_threads through getBuiltinModule: the package sources carry no static node: imports.
const { workerData } = process.getBuiltinModule('node:worker_threads');
const setup = workerData as WorkerSetup;
const claims = new Int32Array(setup.claims);
const signal = new Int32Array(setup.signal);
const options = setup.options as Parameters<typeof columnDriftOfJob>[1];

setup.port.on('message', (message: JobMessage) => {
  let reply: JobReply;
  if (Atomics.compareExchange(claims, message.index, 0, 1) !== 0) reply = { index: message.index, skipped: true };
  else {
    reply = {
      index: message.index,
      skipped: false,
      outcome: runJob(message.job, (job) => columnDriftOfJob(job, options)),
    };
  }
  setup.port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
