import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { MlopsError } from '../errors.js';
import { PGLITE_THREAD_SOURCE } from './_pglite-thread-source.js';

/** What a PGlite store runs its SQL on: PGlite in the calling thread, or PGlite in a worker thread. */
export interface PgliteBackend<Tx> {
  query<T>(sql: string, params: unknown[] | undefined, tx: Tx | undefined): Promise<T[]>;
  exec(sql: string, tx: Tx | undefined): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

type Pending = { resolve: (value: Reply) => void; reject: (err: Error) => void };
type Reply = { id: number; rows?: unknown[]; tx?: number; error?: Record<string, unknown> };
type Control =
  | { op: 'ready' }
  | { op: 'failed'; error: Record<string, unknown> }
  | { op: 'notification'; channel: string; payload: string };

const requireHere = createRequire(import.meta.url);

/**
 * The parameters as the thread should receive them. Structured cloning keeps dates, bytes, arrays and plain data, but
 * drops an object's methods and prototype (a `toJSON` is lost, a method makes it throw), so an object that is not an
 * array, a date or bytes is sent as its JSON text: what PGlite on the calling thread (and `pg`) store for it.
 */
function sendable(params: unknown[] | undefined): unknown[] | undefined {
  if (params === undefined || !Array.isArray(params)) return params;
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (
      typeof p !== 'object' ||
      p === null ||
      Array.isArray(p) ||
      p instanceof Date ||
      ArrayBuffer.isView(p) ||
      p instanceof ArrayBuffer
    ) {
      continue;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(p);
    } catch {
      continue; // left to the clone (and to PGlite), which fail it the same way
    }
    out ??= params.slice();
    out[i] = json;
  }
  return out ?? params;
}

/** An Error carrying what the thread sent: the message, the name and PGlite's fields (SQLSTATE `code`, `detail`, …). */
function toError(fields: Record<string, unknown>): Error {
  const err = new Error(String(fields.message));
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'message' && key !== 'stack') (err as unknown as Record<string, unknown>)[key] = value;
  }
  if (typeof fields.name === 'string') err.name = fields.name;
  return err;
}

/**
 * Opens PGlite in a worker thread and returns a backend that sends it each statement. PGlite's WebAssembly then never
 * runs on the calling thread, so a server's event loop is not held by SQL (about 40 µs of CPU per logged prediction
 * row, and whole milliseconds for a report's query); each statement costs one message each way instead. The thread is
 * kept referenced only while a statement is outstanding, so an idle store never keeps the process alive.
 */
export async function openPgliteThread(
  dataDir: string | undefined,
  sharedBuffers: string | undefined,
): Promise<PgliteBackend<number>> {
  const worker = new Worker(PGLITE_THREAD_SOURCE, {
    eval: true,
    workerData: { pglitePath: requireHere.resolve('@electric-sql/pglite'), dataDir, sharedBuffers },
  });
  const pending = new Map<number, Pending>();
  const channels = new Map<string, { fns: Set<(payload: string) => void>; listening: Promise<Reply> }>();
  let nextId = 1;
  let stopped: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (msg: Reply | Control) => {
      if ('op' in msg) {
        if (msg.op === 'notification') {
          for (const fn of channels.get(msg.channel)?.fns ?? []) fn(msg.payload);
        } else if (msg.op === 'ready') resolve();
        else reject(toError(msg.error));
        return;
      }
      const call = pending.get(msg.id);
      if (call === undefined) return;
      pending.delete(msg.id);
      if (pending.size === 0) worker.unref();
      if (msg.error !== undefined) call.reject(toError(msg.error));
      else call.resolve(msg);
    };
    worker.on('message', onMessage);
    const fail = (err: Error) => {
      stopped ??= new MlopsError('INTERNAL', { message: `The PGlite thread stopped: ${err.message}`, cause: err });
      reject(stopped);
      for (const call of pending.values()) call.reject(stopped);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  });
  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.unref();

  const call = (msg: Record<string, unknown>): Promise<Reply> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    msg.id = id;
    return new Promise<Reply>((resolve, reject) => {
      try {
        worker.postMessage(msg);
      } catch (cause) {
        // A parameter the thread cannot receive (a function, a symbol, …): that statement fails, nothing else.
        reject(
          new MlopsError('INVALID_INPUT', {
            message: `A query parameter cannot be sent to the PGlite thread: ${(cause as Error).message}`,
            details: [{ path: 'params', message: 'not a value PGlite accepts (string, number, Date, bytes, JSON)' }],
            cause,
          }),
        );
        return;
      }
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
    });
  };

  return {
    async query<T>(sql: string, params: unknown[] | undefined, tx: number | undefined) {
      return (await call({ op: 'query', sql, params: sendable(params), tx: tx ?? 0 })).rows as T[];
    },
    async exec(sql: string, tx: number | undefined) {
      await call({ op: 'exec', sql, tx: tx ?? 0 });
    },
    async transaction<T>(fn: (tx: number) => Promise<T>) {
      const { tx } = await call({ op: 'begin' });
      let result: T;
      try {
        result = await fn(tx!);
      } catch (err) {
        await call({ op: 'rollback', tx });
        throw err;
      }
      await call({ op: 'commit', tx });
      return result;
    },
    async listen(channel: string, fn: (payload: string) => void) {
      let sub = channels.get(channel);
      if (sub === undefined) {
        sub = { fns: new Set(), listening: call({ op: 'listen', channel }) };
        channels.set(channel, sub);
      }
      const entry = (payload: string) => fn(payload);
      sub.fns.add(entry);
      try {
        await sub.listening;
      } catch (err) {
        sub.fns.delete(entry);
        if (channels.get(channel) === sub && sub.fns.size === 0) channels.delete(channel);
        throw err;
      }
      return async () => {
        const current = channels.get(channel);
        if (!current?.fns.delete(entry) || current.fns.size > 0) return;
        channels.delete(channel);
        if (!stopped) await call({ op: 'unlisten', channel });
      };
    },
    async close() {
      try {
        if (!stopped) await call({ op: 'close' });
      } finally {
        stopped ??= new MlopsError('STORE_CLOSED', 'The PGlite thread is closed');
        await worker.terminate();
      }
    },
  };
}
