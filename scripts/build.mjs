#!/usr/bin/env node
// Builds every workspace that has a "build" script, dependencies first.
// Runs from `prepare`, so `npm install` on a fresh clone leaves every package built.
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { listWorkspaces, ROOT } from './workspaces.mjs';

const only = process.argv.slice(2);
for (const { dir, pkg } of listWorkspaces()) {
  if (!pkg.scripts?.build) continue;
  if (only.length > 0 && !only.includes(pkg.name)) continue;
  const started = Date.now();
  const res = spawnSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`build failed: ${pkg.name} (${relative(ROOT, dir)})`);
    process.exit(res.status ?? 1);
  }
  console.log(`built ${pkg.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
