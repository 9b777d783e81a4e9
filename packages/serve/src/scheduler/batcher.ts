import type { Columns } from '@mlops/core';
import { concatColumns, rowCount, sliceColumns } from '../_internal/columns.js';

/** Options of {@link createBatcher}: how requests are grouped into one predictor call. */
export interface BatchingOptions {
  /**
   * Most rows in one predictor call. A single request with more rows is sent alone, never split.
   * @default 64
   */
  maxBatchSize?: number;
  /**
   * How long a request may wait for others while the predictor is idle. With 0 (adaptive), an idle predictor gets a
   * request at once and batches form only from requests that arrive while a call is running, so light traffic pays
   * no extra latency and heavy traffic gets large batches.
   * @default 0
   */
  maxWaitMs?: number;
  /**
   * Predictor calls running at once.
   * @default 1
   */
  maxInFlight?: number;
}

/** Internal options of {@link createBatcher}. */
export interface BatcherOptions extends BatchingOptions {
  /** Runs one batch. */
  predict: (inputs: Columns) => Promise<Columns>;
  /** Called with the number of rows of each predictor call. */
  onBatch?: (rows: number) => void;
}

/** Groups concurrent requests into predictor calls. */
export interface Batcher {
  /** Predicts the rows of one request, possibly together with other requests' rows. */
  run(inputs: Columns): Promise<Columns>;
  /** Rows waiting for a predictor call. */
  readonly pendingRows: number;
  /** Resolves once nothing is waiting or running. */
  idle(): Promise<void>;
}

interface Item {
  inputs: Columns;
  rows: number;
  at: number;
  resolve: (out: Columns) => void;
  reject: (err: unknown) => void;
}

/**
 * Creates an adaptive micro-batcher: requests queue while `maxInFlight` calls run; a call takes queued requests in
 * order up to `maxBatchSize` rows, concatenates their columns, and each request gets its own rows of the outputs.
 */
export function createBatcher(options: BatcherOptions): Batcher {
  const maxBatchSize = options.maxBatchSize ?? 64;
  const maxWaitMs = options.maxWaitMs ?? 0;
  const maxInFlight = options.maxInFlight ?? 1;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError('maxBatchSize must be ≥ 1');
  if (!(maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be ≥ 0');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be ≥ 1');
  const queue: Item[] = [];
  let pendingRows = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  const checkIdle = () => {
    if (inFlight === 0 && queue.length === 0 && idleWaiters.length > 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  async function runBatch(items: Item[]): Promise<void> {
    const rows = items.reduce((n, it) => n + it.rows, 0);
    try {
      options.onBatch?.(rows);
      const out = await options.predict(concatColumns(items.map((it) => it.inputs)));
      const n = rowCount(out);
      if (n !== rows) throw new Error(`predictor returned ${n} rows for ${rows} inputs`);
      let off = 0;
      for (const it of items) {
        it.resolve(items.length === 1 ? out : sliceColumns(out, off, off + it.rows));
        off += it.rows;
      }
    } catch (err) {
      for (const it of items) it.reject(err);
    }
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const waited = Date.now() - queue[0]!.at;
      if (pendingRows < maxBatchSize && maxWaitMs > 0 && waited < maxWaitMs) {
        if (!timer) {
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, maxWaitMs - waited);
        }
        return;
      }
      const items: Item[] = [queue.shift()!];
      let rows = items[0]!.rows;
      while (queue.length > 0 && rows + queue[0]!.rows <= maxBatchSize) {
        const it = queue.shift()!;
        rows += it.rows;
        items.push(it);
      }
      pendingRows -= rows;
      inFlight++;
      void runBatch(items).finally(() => {
        inFlight--;
        pump();
        checkIdle();
      });
    }
    if (queue.length === 0 && timer) {
      clearTimeout(timer);
      timer = undefined;
    }
  }

  return {
    run(inputs) {
      const rows = rowCount(inputs);
      return new Promise<Columns>((resolve, reject) => {
        queue.push({ inputs, rows, at: Date.now(), resolve, reject });
        pendingRows += rows;
        pump();
      });
    },
    get pendingRows() {
      return pendingRows;
    },
    idle() {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
  };
}
