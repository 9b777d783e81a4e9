// Lists the npm workspaces of this repository with their package.json, in dependency order
// (a package comes after every workspace package it depends on).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

/** @returns {{ dir: string, pkg: any }[]} */
export function listWorkspaces() {
  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const found = [];
  for (const pattern of rootPkg.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    const baseDir = join(ROOT, base);
    if (!existsSync(baseDir)) continue;
    for (const name of readdirSync(baseDir).sort()) {
      const dir = join(baseDir, name);
      const file = join(dir, 'package.json');
      if (existsSync(file)) found.push({ dir, pkg: JSON.parse(readFileSync(file, 'utf8')) });
    }
  }
  return topoSort(found);
}

function topoSort(list) {
  const byName = new Map(list.map((w) => [w.pkg.name, w]));
  const out = [];
  const state = new Map();
  const visit = (w, path) => {
    if (state.get(w.pkg.name) === 'done') return;
    if (state.get(w.pkg.name) === 'visiting') {
      throw new Error(`dependency cycle: ${[...path, w.pkg.name].join(' -> ')}`);
    }
    state.set(w.pkg.name, 'visiting');
    const deps = {
      ...w.pkg.dependencies,
      ...w.pkg.peerDependencies,
      ...w.pkg.devDependencies,
    };
    for (const dep of Object.keys(deps)) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, w.pkg.name]);
    }
    state.set(w.pkg.name, 'done');
    out.push(w);
  };
  for (const w of list) visit(w, []);
  return out;
}
