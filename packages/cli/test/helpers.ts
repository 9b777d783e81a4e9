import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bufferSink } from '../src/output.js';
import { run } from '../src/program.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The CLI entry point, run from source. */
export const BIN = resolve(HERE, '../src/bin.ts');
const ROOT = resolve(HERE, '../../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Child processes start tsx and PGlite: seconds each, much more on a loaded machine. */
export const CHILD_TIMEOUT = 240_000;

/** The caller's settings that would leak into a test's CLI run: left out of its environment. */
const CLEARED_ENV: Record<string, undefined> = {
  MLOPS_STORE: undefined,
  MLOPS_SERVER_URL: undefined,
  MLOPS_API_KEY: undefined,
  MLOPS_REMOTE: undefined,
  MLOPS_OBJECTS: undefined,
};

/** What a finished `mlops` process left behind. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `node --import tsx <script> …args` with `cwd`. `TSX_TSCONFIG_PATH` points tsx at the repository's
 * tsconfig so `@mlops/*` imports resolve to the sources (as vitest's aliases do), not to a stale build.
 */
export function runNode(
  script: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    TSX_TSCONFIG_PATH: resolve(ROOT, 'tsconfig.json'),
    ...CLEARED_ENV,
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, script, ...args], {
      cwd: opts.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/**
 * Runs `mlops` in this process through `run()` (what `bin.ts` calls), with `cwd`, an environment without the
 * caller's `MLOPS_STORE`, `MLOPS_SERVER_URL`, … plus `env`, and buffers for stdout and stderr: the same result as {@link mlops}
 * without starting a process. Tests of the process boundary itself (signals, a store locked by another process,
 * the bin) use {@link mlops}.
 */
export async function cli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries({ ...CLEARED_ENV, ...opts.env })) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const stdout = bufferSink();
  const stderr = bufferSink();
  const code = await run(args, { cwd: opts.cwd, env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the `mlops` CLI from source as a real process. */
export function mlops(
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  return runNode(BIN, args, opts);
}

/** Parses the single JSON document a `--json` invocation wrote to stdout (fails with the output when it isn't). */
export function jsonOf<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}).\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
