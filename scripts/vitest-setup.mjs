// Loaded by vitest.config.ts in every test file's worker: installs the network guard (scripts/network-guard.mjs) here
// and, through NODE_OPTIONS, in the node processes tests start; fails a test (or the file, for code run outside its
// tests) that tried to reach beyond this machine, even when the code under test caught the refusal.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { networkViolations, quietNetworkGuard } from './network-guard.mjs';

quietNetworkGuard();
const guardUrl = new URL('./network-guard.mjs', import.meta.url).href;
const importFlag = `--import=${guardUrl}`;
if (!(process.env.NODE_OPTIONS ?? '').includes(importFlag)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${importFlag}`.trim();
}

function failOnViolations(where) {
  const seen = networkViolations({ clear: true });
  if (seen.length === 0) return;
  const list = seen.map((v) => `  - ${v.target}\n${v.stack.split('\n').slice(2, 8).join('\n')}`).join('\n');
  throw new Error(
    `${where} tried to reach beyond this machine (tests may only use 127.0.0.1; dataset loaders take offline: true):\n${list}`,
  );
}

beforeAll(() => failOnViolations('This test file, while it loaded,'));
afterEach(() => failOnViolations('This test'));
afterAll(() => failOnViolations('This test file, in its hooks,'));
