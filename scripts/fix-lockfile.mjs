#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages (other OSes/CPUs/libcs) that the npm
// mirror of our build machines does not serve. npm leaves them out of the lockfile when it cannot fetch their
// manifests, and `npm ci` then refuses the lockfile as "out of sync". Each added entry carries the os/cpu/libc read
// from the package name, so npm skips it on every other platform exactly as it would with the real manifest.
// Run after `npm install` changes the lockfile:  node scripts/fix-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './workspaces.mjs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32'];

/** Reads `{ os, cpu, libc }` from names like `@rollup/rollup-linux-arm-musleabihf` or `@biomejs/cli-win32-x64`. */
export function platformOf(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const osIndex = parts.findIndex((p) => OS.includes(p));
  if (osIndex < 0) return undefined;
  const cpu = parts[osIndex + 1];
  if (!CPU.includes(cpu)) return undefined;
  const rest = parts.slice(osIndex + 2).join('-');
  const platform = { os: [parts[osIndex]], cpu: [cpu] };
  if (parts[osIndex] === 'linux') {
    if (rest.startsWith('musl')) platform.libc = ['musl'];
    else if (rest.startsWith('gnu')) platform.libc = ['glibc'];
  }
  return platform;
}

const file = join(ROOT, 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(pkgs)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`;
    if (pkgs[nested] || pkgs[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      console.warn(
        `skipped ${dep}@${spec} (optional dependency of ${path || 'the root'}): not a pinned platform package`,
      );
      continue;
    }
    pkgs[`node_modules/${dep}`] = {
      version: spec,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform-specific optional entries`);
