import type { Columns, Predictor } from '@mlops/core';
import type { ListeningServer, ModelServer } from '@mlops/serve';

/** A tiny batchable predictor: y = 2x (+ sum of v), label = city upper-cased. Counts calls and rows. */
export function testPredictor(opts: { delayMs?: number; batchable?: boolean } = {}) {
  const calls: number[] = [];
  let gate: Promise<void> | undefined;
  let openGate: (() => void) | undefined;
  const predictor: Predictor & { calls: number[]; hold(): void; releaseHold(): void } = {
    signature: {
      inputs: [
        { name: 'x', type: 'float64', shape: [] },
        { name: 'city', type: 'string', shape: [] },
        { name: 'v', type: 'float32', shape: [2], optional: true },
      ],
      outputs: [
        { name: 'y', type: 'float64', shape: [] },
        { name: 'label', type: 'string', shape: [] },
      ],
    },
    batchable: opts.batchable ?? true,
    calls,
    hold() {
      gate = new Promise((r) => (openGate = r));
    },
    releaseHold() {
      openGate?.();
      gate = undefined;
    },
    async predict(inputs: Columns) {
      const x = inputs.x as Float64Array;
      const city = inputs.city as string[];
      const v = inputs.v as (Float32Array | null)[] | undefined;
      calls.push(x.length);
      if (gate) await gate;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const vi = v?.[i];
        y[i] = 2 * x[i]! + (vi ? vi[0]! + vi[1]! : 0);
      }
      return { y, label: city.map((c) => c.toUpperCase()) };
    },
  };
  return predictor;
}

/** Listens on 127.0.0.1:0 without signal handlers. */
export function listen(server: ModelServer, signals: NodeJS.Signals[] = []): Promise<ListeningServer> {
  return server.listen({ port: 0, host: '127.0.0.1', signals });
}

/** POSTs JSON (or a raw string with a content type). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const raw = typeof body === 'string' && headers['content-type'] !== undefined;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ? (body as string) : JSON.stringify(body),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: tests walk response bodies freely
export type Json = any;

/** The response body as JSON (typed loosely for assertions). */
export const json = (res: Response): Promise<Json> => res.json() as Promise<Json>;
