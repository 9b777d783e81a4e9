#!/usr/bin/env node
// Checks the shape of every published package: publint (strict) and @arethetypeswrong/cli on the packed tarball.
import { spawnSync } from 'node:child_process';
import { listWorkspaces } from './workspaces.mjs';

let failed = 0;
for (const { dir, pkg } of listWorkspaces()) {
  if (pkg.private) continue;
  for (const [cmd, args] of [
    ['npx', ['--no-install', 'publint', '--strict']],
    ['npx', ['--no-install', 'attw', '--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    const res = spawnSync(cmd, args, { cwd: dir, stdio: 'inherit' });
    if (res.status !== 0) {
      console.error(`${args[1]} failed for ${pkg.name}`);
      failed++;
    }
  }
}
if (failed > 0) process.exit(1);
console.log('package checks passed');
