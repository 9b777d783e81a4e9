#!/usr/bin/env node
// Checks the shape of the code and of every published package: no import cycle in the TypeScript sources
// (scripts/check-cycles.mjs, type-only imports included), then publint (strict) and @arethetypeswrong/cli on each
// packed tarball.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { listWorkspaces, ROOT } from './workspaces.mjs';

let failed = 0;
if (spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-cycles.mjs')], { stdio: 'inherit' }).status !== 0) {
  console.error('import cycle check failed');
  failed++;
}
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
