// Child process of logger-durability.test.ts: `node --import tsx logger-durable-server.ts <store-url> <durability>`.
// Serves a tiny model with the prediction log on the store, in the given durability mode, with a flush interval and
// batch size so large that the buffered mode never writes on its own; prints its URL, then runs until killed.
import { type Columns, createStore, type Predictor } from '@mlops/core';
import { createModelServer } from '@mlops/serve';

const [url, durability] = process.argv.slice(2);
if (!url || (durability !== 'buffered' && durability !== 'acknowledged')) {
  console.error('usage: logger-durable-server.ts <store-url> buffered|acknowledged');
  process.exit(2);
}
// Never outlive the test, even if it dies before killing us.
setTimeout(() => process.exit(3), 120_000);
process.stdin.on('end', () => process.exit(4)).resume();

const predictor: Predictor = {
  signature: {
    inputs: [{ name: 'x', type: 'float64', shape: [] }],
    outputs: [{ name: 'y', type: 'float64', shape: [] }],
  },
  batchable: true,
  async predict(inputs: Columns) {
    return { y: (inputs.x as Float64Array).map((v) => 2 * v) };
  },
};

const store = await createStore(url);
const server = createModelServer({
  models: [{ name: 'm', predictor, version: '1' }],
  store,
  durability,
  logging: { flushIntervalMs: 600_000, batchSize: 100_000, maxBuffer: 100_000 },
  monitoring: false,
  defaultMetrics: false,
});
const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
console.log(JSON.stringify({ url: listening.url }));
