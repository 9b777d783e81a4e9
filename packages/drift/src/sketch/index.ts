export { FrequentItems } from './frequent.js';
export { HyperLogLog } from './hll.js';
export { KllSketch, type KllSketchJson, kllRankError, type SketchView } from './kll.js';
