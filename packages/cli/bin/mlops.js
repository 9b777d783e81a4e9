#!/usr/bin/env node
// The `mlops` command. npm links a package's bins before its `prepare` script runs, so on the first `npm install` of
// a clone the built dist/bin.js does not exist yet when the link is made: a bin pointing at it would be skipped and
// `npx mlops` would fall back to the public registry. This committed shim always exists; it runs the build.
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin.js')) {
    console.error('mlops: @mlops/cli is not built (no dist/bin.js). Run `npm run build` at the repository root.');
    process.exit(1);
  }
  throw err;
}
