import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Columns,
  createStore,
  type Flavor,
  type FsObjectStore,
  fsObjectStore,
  type Predictor,
  type Store,
} from '@mlops/core';
import { mulberry32 } from '@mlops/core/testing';
import { createRegistry, type Registry } from '@mlops/registry';
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

/** A classifier flavor: label = "pos" when input `a` > 0. */
export const signFlavor: Flavor<Record<string, never>> = {
  name: 'test/sign',
  save: async () => ({ files: { 'model.json': new TextEncoder().encode('{}') } }),
  load: async (_files, ctx) => ({
    signature: ctx.signature,
    batchable: true,
    predict: async (inputs) => ({
      label: Array.from((inputs as Record<string, Float64Array>).a!, (v) => (v > 0 ? 'pos' : 'neg')),
    }),
  }),
};

/** Seeded uniform numbers in [0, 1) (core's mulberry32). */
export const uniforms = mulberry32;

/** The value of the sample `name{labels}` in a Prometheus scrape, or undefined when absent. */
export function gauge(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A memory store, a registry over it and model packages in a temporary directory, for a registry-served server. */
export interface RegistryFixture {
  store: Store;
  registry: Registry;
  objects: FsObjectStore;
  dir: string;
  /** Closes the server's listener (when given), the registry and the store, and removes the directory. */
  close(http?: ListeningServer): Promise<void>;
}

export async function registryFixture(prefix: string): Promise<RegistryFixture> {
  const store = await createStore('memory://');
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const objects = fsObjectStore({ dir });
  const registry = await createRegistry({ store });
  return {
    store,
    registry,
    objects,
    dir,
    async close(http) {
      await http?.close();
      await registry.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
