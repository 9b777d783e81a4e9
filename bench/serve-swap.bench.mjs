// Hot-swap latency: the time from an alias move (registry.setAlias on `production`) to the first response served by
// the new version, measured from the client side while 4 client loops keep requesting. The server follows the
// alias through the registry's change events (in-process on PGlite; LISTEN/NOTIFY on PostgreSQL when
// MLOPS_BENCH_STORE=postgres://...), loads the new model package through its flavor and swaps. The model is a tiny
// JSON flavor, so the figure is the server's path (event, resolve, package load, swap), not a model's load time.
// Prints the median and the spread over MLOPS_BENCH_MOVES moves (default 15), alternating versions 1 and 2.

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, fsObjectStore, saveModelPackage } from '@mlops/core';
import { createRegistry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';

const MOVES = Number(process.env.MLOPS_BENCH_MOVES ?? 15);
const STORE = process.env.MLOPS_BENCH_STORE ?? 'memory://';
const LOOPS = 4;

/** y = k * x, with k stored in the package: each version answers differently. */
const flavor = {
  name: 'bench/scale',
  save: async (model) => ({ files: { 'model.json': new TextEncoder().encode(JSON.stringify(model)) } }),
  load: async (pkg, ctx) => {
    const { k } = JSON.parse(new TextDecoder().decode(pkg.files['model.json']));
    return {
      signature: ctx.signature,
      batchable: true,
      predict: async (inputs) => ({ y: Float64Array.from(inputs.x, (v) => k * v) }),
    };
  },
};
const signature = { inputs: [{ name: 'x', type: 'float64' }], outputs: [{ name: 'y', type: 'float64' }] };

const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-swap-'));
const store = await createStore(
  STORE.startsWith('postgres') ? `${STORE}${STORE.includes('?') ? '&' : '?'}schema=bench_swap_${process.pid}` : STORE,
);
const objects = fsObjectStore({ dir });
const registry = await createRegistry({ store });
await registry.createModel({ name: 'scale' });
for (const k of [1, 2]) {
  const { digest } = await saveModelPackage({ objects, flavor, model: { k }, signature, lineage: {} });
  await registry.createVersion({ model: 'scale', packageDigest: digest, flavor: flavor.name, signature });
}
await registry.setAlias({ model: 'scale', alias: 'production', version: 1 });

const server = createModelServer({
  models: [{ name: 'scale', registry, alias: 'production', objects, flavors: [flavor] }],
  defaultMetrics: false,
});
await server.ready();
const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
const url = `${http.url}/v1/models/scale/predict`;
const body = JSON.stringify({ instances: [{ x: 1 }] });

// Client loops: every response's version and the time it arrived.
let running = true;
let failed = 0;
let seen = []; // [arrivedAt, version]
const loops = Array.from({ length: LOOPS }, async () => {
  while (running) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const at = performance.now();
    if (!res.ok) {
      failed++;
      await res.arrayBuffer();
      continue;
    }
    const { version } = await res.json();
    seen.push([at, version]);
  }
});

const times = [];
try {
  console.log(
    `store ${STORE.replace(/\/\/[^@]*@/, '//***@')}; ${LOOPS} client loops; load average ${loadavg()[0].toFixed(1)}`,
  );
  await new Promise((r) => setTimeout(r, 500)); // warm-up
  let current = 1;
  for (let i = 0; i < MOVES; i++) {
    const next = current === 1 ? 2 : 1;
    seen = [];
    const t0 = performance.now();
    await registry.setAlias({ model: 'scale', alias: 'production', version: next });
    const deadline = t0 + 30_000;
    let first;
    while (first === undefined && performance.now() < deadline) {
      first = seen.find(([at, v]) => at >= t0 && v === String(next));
      if (first === undefined) await new Promise((r) => setImmediate(r));
    }
    if (first === undefined) throw new Error(`version ${next} never answered within 30 s`);
    times.push(first[0] - t0);
    current = next;
    await new Promise((r) => setTimeout(r, 200));
  }
} finally {
  running = false;
  await Promise.allSettled(loops);
  await http.close();
  await registry.close();
  if (STORE.startsWith('postgres')) await store.exec(`DROP SCHEMA IF EXISTS bench_swap_${process.pid} CASCADE`);
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

const sorted = [...times].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
console.log(
  `alias move -> first response from the new version over ${times.length} moves: median ${q(0.5).toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`,
);
console.log(`failed requests during the moves: ${failed}`);
