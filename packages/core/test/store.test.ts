import { testBackends, testStore } from '@mlops/core/testing';

for (const backend of testBackends()) {
  testStore(`[${backend.name}]`, { open: backend.open, dispose: backend.dispose });
}
