// Conformance suites for implementers of core's interfaces, and test helpers. Run them inside vitest.

export { mulberry32 } from '../random.js';
export { loadTestData, TEST_REQUIRE_DATA_ENV } from './data.js';
export type { ObjectStoreSuiteOptions } from './object-store-suite.js';
export { testObjectStore } from './object-store-suite.js';
export type { TestStoreOptions } from './store-suite.js';
export { testStore } from './store-suite.js';
export type { StoreBackend } from './stores.js';
export {
  describeStores,
  TEST_POSTGRES_ENV,
  TEST_REQUIRE_POSTGRES_ENV,
  testBackends,
  testPostgresUrl,
} from './stores.js';
