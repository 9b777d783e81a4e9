import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { relative, resolve } from 'node:path';

/** The git state of the code a run came from. */
export interface GitInfo {
  /** `git rev-parse HEAD`, or `null` outside a repository (or without git, or before the first commit). */
  commit: string | null;
  /** True when `git status --porcelain` lists changes; `null` when `commit` is `null`. */
  dirty: boolean | null;
}

/** Where a run was started from. */
export interface SourceInfo {
  /** The script that started the process, relative to the working directory when inside it. */
  entryPoint: string | null;
  /** The OS user (or `$USER`). */
  user: string | null;
}

const GIT_TIMEOUT_MS = 10_000;

function git(args: string[], cwd: string): Promise<string | null> {
  return new Promise((done) => {
    try {
      execFile(
        'git',
        args,
        { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, windowsHide: true },
        (err, stdout) => {
          done(err ? null : stdout);
        },
      );
    } catch {
      done(null);
    }
  });
}

/**
 * Reads the commit and the dirty flag of the git work tree holding `dir`. Never throws: without git, outside a
 * repository or before the first commit, both are `null`.
 */
export async function captureGitInfo(dir: string = process.cwd()): Promise<GitInfo> {
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD'], dir);
  const commit = head?.trim() || null;
  if (commit === null || !/^[0-9a-f]{40,64}$/.test(commit)) return { commit: null, dirty: null };
  const status = await git(['status', '--porcelain'], dir);
  return { commit, dirty: status === null ? null : status.trim().length > 0 };
}

/** The entry point (`process.argv[1]`, relative to `cwd` when inside it) and the OS user. Never throws. */
export function captureSourceInfo(cwd: string = process.cwd()): SourceInfo {
  const script = process.argv[1];
  let entryPoint: string | null = null;
  if (script) {
    const abs = resolve(script);
    const rel = relative(cwd, abs);
    entryPoint = rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : abs;
  }
  let user: string | null = null;
  try {
    user = userInfo().username || null;
  } catch {
    // No passwd entry for the uid (common in containers).
  }
  user ??= process.env.USER ?? process.env.USERNAME ?? null;
  return { entryPoint, user };
}
