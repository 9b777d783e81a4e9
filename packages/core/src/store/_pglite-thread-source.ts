// The code of the thread that owns a PGlite database for a `pgliteStore({ thread: 'worker' })`. It is evaluated as a
// CommonJS script (no file to locate in src/ or dist/, no TypeScript loader in the thread) and loads PGlite from the
// path the calling thread resolved. Protocol (one message per call, answered by `id`):
//   → { id, op: 'query', sql, params, tx }   ← { id, rows }        (tx: a transaction id, or 0 outside one)
//   → { id, op: 'exec', sql, tx }            ← { id }
//   → { id, op: 'begin' }                    ← { id, tx }          (the transaction holds PGlite's connection)
//   → { id, op: 'commit' | 'rollback', tx }  ← { id }
//   → { id, op: 'listen' | 'unlisten', channel } ← { id }          (one PGlite listener per channel)
//   → { id, op: 'close' }                    ← { id }
//   ← { op: 'ready' } once PGlite is open, or { op: 'failed', error }; ← { op: 'notification', channel, payload }
// Any failure answers { id, error } with the error's message, name and its primitive fields (SQLSTATE `code`,
// `detail`, `constraint`, …), which the calling thread puts back on an Error.
export const PGLITE_THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pglitePath, dataDir, sharedBuffers } = workerData;
const INT8_OID = 20;
const parseInt8 = (text) => { const n = Number(text); return Number.isSafeInteger(n) ? n : text; };
const ROLLBACK = Symbol('rollback');
let db;
let nextTx = 1;
const txs = new Map();
const listeners = new Map();

function errorOf(err) {
  // PGlite's file system errors (ErrnoError) carry an errno and no message
  const message = err && typeof err.message === 'string' && err.message !== '' ? err.message
    : err && typeof err.errno === 'number' ? 'file system error (errno ' + err.errno + ')' : String(err);
  const out = { message, name: err && err.name };
  if (err && typeof err === 'object') {
    for (const key of Object.keys(err)) {
      const v = err[key];
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    }
  }
  return out;
}
const reply = (id, body) => parentPort.postMessage(Object.assign({ id }, body));

// A transaction runs inside PGlite's db.transaction (which holds the connection, so db.query waits for it); its
// statements arrive as messages and are queued until the callback takes them.
function begin(id) {
  const txId = nextTx++;
  const state = { queue: [], wake: undefined, end: undefined };
  txs.set(txId, state);
  const next = () => state.queue.length > 0 ? Promise.resolve(state.queue.shift()) : new Promise((r) => { state.wake = r; });
  db.transaction(async (tx) => {
    reply(id, { tx: txId });
    for (;;) {
      const msg = await next();
      if (msg.op === 'commit') { state.end = msg; return; }
      if (msg.op === 'rollback') { state.end = msg; throw ROLLBACK; }
      try {
        if (msg.op === 'query') reply(msg.id, { rows: (await tx.query(msg.sql, msg.params)).rows });
        else { await tx.exec(msg.sql); reply(msg.id, {}); }
      } catch (err) {
        reply(msg.id, { error: errorOf(err) });
      }
    }
  }).then(
    () => { txs.delete(txId); reply(state.end.id, {}); },
    (err) => {
      txs.delete(txId);
      if (state.end === undefined) return reply(id, { error: errorOf(err) });
      if (err === ROLLBACK) reply(state.end.id, {});
      else reply(state.end.id, { error: errorOf(err) });
    },
  );
}

function toTx(msg) {
  const state = txs.get(msg.tx);
  if (state === undefined) return reply(msg.id, { error: { message: 'Transaction is closed', name: 'Error' } });
  if (state.wake) { const wake = state.wake; state.wake = undefined; wake(msg); }
  else state.queue.push(msg);
}

async function handle(msg) {
  if (msg.tx) return toTx(msg);
  try {
    switch (msg.op) {
      case 'query': return reply(msg.id, { rows: (await db.query(msg.sql, msg.params)).rows });
      case 'exec': await db.exec(msg.sql); return reply(msg.id, {});
      case 'begin': return begin(msg.id);
      case 'listen':
        if (!listeners.has(msg.channel)) {
          const channel = msg.channel;
          listeners.set(channel, await db.listen(channel, (payload) => parentPort.postMessage({ op: 'notification', channel, payload })));
        }
        return reply(msg.id, {});
      case 'unlisten': {
        const unlisten = listeners.get(msg.channel);
        listeners.delete(msg.channel);
        if (unlisten) await unlisten();
        return reply(msg.id, {});
      }
      case 'close': await db.close(); return reply(msg.id, {});
      default: return reply(msg.id, { error: { message: 'unknown operation ' + msg.op, name: 'Error' } });
    }
  } catch (err) {
    reply(msg.id, { error: errorOf(err) });
  }
}

(async () => {
  try {
    const { PGlite } = require(pglitePath);
    const options = { parsers: { [INT8_OID]: parseInt8 } };
    if (sharedBuffers !== undefined) options.postgresqlconf = 'shared_buffers=' + sharedBuffers;
    db = await PGlite.create(dataDir, options);
  } catch (err) {
    parentPort.postMessage({ op: 'failed', error: errorOf(err) });
    return;
  }
  parentPort.on('message', (msg) => { void handle(msg); });
  parentPort.postMessage({ op: 'ready' });
})();
`;
