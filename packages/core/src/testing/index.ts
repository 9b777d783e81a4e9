// Conformance suites for implementers of core's interfaces, and test helpers. Run them inside vitest.

export type { ObjectStoreSuiteOptions } from './object-store-suite.js';
export { testObjectStore } from './object-store-suite.js';
export type { TestStoreOptions } from './store-suite.js';
export { testStore } from './store-suite.js';
export type { StoreBackend } from './stores.js';
export { describeStores, TEST_POSTGRES_ENV, testBackends } from './stores.js';
