// Dependencies' install scripts (CONTRIBUTING.md, "Installing"): npm 11 runs none that the root package.json's
// `allowScripts` does not allow, and warns at the end of every install about each one it does not decide; npm 10 runs
// them all, so onnxruntime-node's CUDA download is skipped through `.npmrc`. These checks keep a plain `npm install`
// quiet on npm 11 and offline-safe on both.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const rootPackage = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(resolve(REPO, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string; version?: string; hasInstallScript?: boolean; link?: boolean }>;
};

/** The package name of a lockfile key such as `node_modules/tsx/node_modules/esbuild`. */
const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('install scripts of dependencies', () => {
  const policy = rootPackage.allowScripts ?? {};
  const withScripts = Object.entries(lock.packages)
    .filter(([key, p]) => key.includes('node_modules/') && p.hasInstallScript && !p.link)
    .map(([key, p]) => ({ name: nameOf(key), version: p.version ?? '?' }));

  it('every dependency with an install script is allowed or denied by allowScripts (npm 11 warns otherwise)', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    const undecided = withScripts.filter(
      ({ name, version }) =>
        !(name in policy) && !Object.keys(policy).some((k) => k.startsWith(`${name}@`) && k.includes(version)),
    );
    expect(undecided, 'add them to package.json "allowScripts" (true or false) and to CONTRIBUTING.md').toEqual([]);
  });

  it("onnxruntime-node's CUDA download never runs: denied on npm 11, skipped through .npmrc on npm 10", () => {
    expect(policy['onnxruntime-node']).toBe(false);
    const npmrc = readFileSync(resolve(REPO, '.npmrc'), 'utf8');
    const keys = npmrc
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
    expect(keys).toContain('onnxruntime-node-install=skip');
  });

  it('the policy lives at the root only (npm ignores, and warns about, allowScripts in a workspace)', () => {
    const workspaces = Object.entries(lock.packages).filter(([key]) => !key.includes('node_modules/') && key !== '');
    expect(workspaces.length).toBeGreaterThan(5);
    for (const [key] of workspaces) {
      const pkg = JSON.parse(readFileSync(resolve(REPO, key, 'package.json'), 'utf8')) as { allowScripts?: unknown };
      expect(pkg.allowScripts, key).toBeUndefined();
    }
  });
});
