import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  bin: { mlops: string };
  files: string[];
};

describe('the mlops bin', () => {
  it('is a committed file outside dist/, so npm links it on the first install, before `prepare` builds', () => {
    const bin = pkg.bin.mlops;
    expect(bin).toBeDefined();
    expect(bin).not.toMatch(/(^|\/)dist\//);
    expect(existsSync(join(pkgDir, bin))).toBe(true);
    // Tracked by git (a fresh clone has it), and published.
    const tracked = execFileSync('git', ['ls-files', '--error-unmatch', bin], { cwd: pkgDir, encoding: 'utf8' });
    expect(tracked.trim()).toBe(bin.replace(/^\.\//, ''));
    expect(pkg.files).toContain(bin.replace(/^\.\//, '').split('/')[0]);
    expect(readFileSync(join(pkgDir, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs the built command', () => {
    const out = execFileSync(process.execPath, [join(pkgDir, pkg.bin.mlops), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
