import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureGitInfo, captureSourceInfo } from './source.js';

let dir: string;
const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  })
    .toString()
    .trim();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-git-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('captureGitInfo', () => {
  it('gives nulls outside a repository and before the first commit', async () => {
    expect(await captureGitInfo(dir)).toEqual({ commit: null, dirty: null });
    git('init', '-q');
    expect(await captureGitInfo(dir)).toEqual({ commit: null, dirty: null });
  });

  it('reads the commit and the dirty flag', async () => {
    await writeFile(join(dir, 'a.txt'), 'one');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD');
    expect(await captureGitInfo(dir)).toEqual({ commit: head, dirty: false });
    await writeFile(join(dir, 'a.txt'), 'two');
    expect(await captureGitInfo(dir)).toEqual({ commit: head, dirty: true });
  });

  it('gives nulls when git is not installed or the directory is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(await captureGitInfo(dir)).toEqual({ commit: null, dirty: null });
    } finally {
      process.env.PATH = path;
    }
    expect(await captureGitInfo(join(dir, 'missing'))).toEqual({ commit: null, dirty: null });
  });
});

describe('captureSourceInfo', () => {
  it('names the entry point and a user', () => {
    const info = captureSourceInfo();
    expect(info.entryPoint).toBeTypeOf('string');
    expect(info.user === null || typeof info.user === 'string').toBe(true);
  });
});
