import { Worker } from 'node:worker_threads';

// Runs in a worker thread, so that the heartbeat goes on while PGlite (WebAssembly on the main thread) blocks the
// event loop in a long query or migration. Each beat checks that the lock file still carries our token before it
// touches the file's mtime; if not, it reports the loss once and stops.
const SOURCE = `
const { readFileSync, utimesSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { path, token, intervalMs } = workerData;
const timer = setInterval(() => {
  let lost;
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8'));
    if (holder === null || holder.token !== token) lost = 'was replaced by another holder';
  } catch (err) {
    lost = err && err.code === 'ENOENT' ? 'was removed' : 'became unreadable';
  }
  if (lost === undefined) {
    const now = new Date();
    try {
      utimesSync(path, now, now);
      return;
    } catch {
      lost = 'was removed';
    }
  }
  clearInterval(timer);
  parentPort.postMessage(lost);
}, intervalMs);
`;

/**
 * Touches the lock file every `intervalMs` from a worker thread while it still names `token`; calls `onLost` once
 * when it no longer does. Returns a function that stops the heartbeat. The worker never keeps the process alive.
 */
export function startHeartbeat(
  path: string,
  token: string,
  intervalMs: number,
  onLost: (why: string) => void,
): () => void {
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, token, intervalMs } });
  worker.unref();
  let stopped = false;
  const lost = (why: string) => {
    if (stopped) return;
    stopped = true;
    onLost(why);
  };
  worker.on('message', (why: string) => lost(why));
  worker.on('error', (err) => lost(`lost its heartbeat (${err.message})`));
  return () => {
    stopped = true;
    void worker.terminate();
  };
}
