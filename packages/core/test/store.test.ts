import { createStore } from '@mlops/core';
import { testBackends, testStore } from '@mlops/core/testing';

for (const backend of testBackends()) {
  testStore(`[${backend.name}]`, { open: backend.open, dispose: backend.dispose });
}
// PGlite in a worker thread: the same contract, every statement crossing a thread boundary.
testStore('[pglite] in a worker thread', { open: () => createStore('memory://?thread=worker') });
