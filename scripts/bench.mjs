#!/usr/bin/env node
// Runs every benchmark in bench/ (or those whose file name contains one of the arguments), one after another, on
// the built packages. Each benchmark prints its own figures as ratios against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './workspaces.mjs';

const filters = process.argv.slice(2);
const dir = join(ROOT, 'bench');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.log('no benchmarks matched');
  process.exit(0);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit', cwd: ROOT });
  console.log(`=== ${f}: ${res.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (res.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
