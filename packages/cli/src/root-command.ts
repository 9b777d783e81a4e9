import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import type { TextSink } from './output.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const GLOBAL_HELP = `
Global options work before or after the command (mlops --json runs ls == mlops runs ls --json).

Environment:
  MLOPS_STORE        store URL (default pglite://.mlops/db)
  MLOPS_SERVER_URL   a running mlops server: models commands go over HTTP
  MLOPS_API_KEY      API key for the server
  MLOPS_OBJECTS      object store: a folder, file://… or s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true
                     (default .mlops/objects; s3:// needs @mlops/plugin-s3, credentials from AWS_* variables)
  MLOPS_REMOTE       default remote of data push/pull/status
  MLOPS_PROGRESS     progress output: tty | json | silent (default: tty on a terminal, else json)

Exit codes:
  0 ok · 1 error · 2 usage/invalid input · 3 not found · 4 conflict or gate failed · 5 store locked
  6 unauthorized/forbidden · 7 checksum mismatch · 8 drift detected (--fail-on-drift, --fail-on-crossing)
  9 broken feed: missing/retyped/empty columns (--fail-on-drift, --fail-on-crossing; retrain blocked)
  10 a metric below its minimum · 11 an estimated metric below its minimum (monitor --fail-on-crossing) · 130 interrupted
`;

/**
 * The `mlops` command itself, without subcommands: name, version, the global options (typed: every subcommand's
 * `optsWithGlobals()` includes them), help and output settings that subcommands inherit. `exitOverride()` makes
 * commander throw instead of exiting, so `run()` returns an exit code. `versionFlags` (default `-V, --version`) lets
 * `run()` leave `--version` to a command that declares its own. `json`: commander writes nothing to stderr (usage
 * errors and the help after them), since `run()` prints a usage error as one JSON document.
 */
export function createRootCommand(io: { stdout: TextSink; stderr: TextSink; versionFlags?: string; json?: boolean }) {
  return new Command('mlops')
    .description('MLOps from the terminal: datasets, runs, models, serving, drift reports, retraining')
    .version(version(), io.versionFlags ?? '-V, --version')
    .option('--store <url>', 'store URL: pglite://<dir>, memory:// or postgres://… (env MLOPS_STORE)')
    .option('--server <url>', 'mlops server for models commands, e.g. http://127.0.0.1:8080 (env MLOPS_SERVER_URL)')
    .option('--api-key <key>', 'API key for --server (env MLOPS_API_KEY)')
    .option(
      '--objects <url>',
      'object store: a folder, file://… or s3://bucket/prefix (env MLOPS_OBJECTS, default .mlops/objects)',
    )
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // With --json, stderr carries one JSON document: run() prints the usage error as JSON instead.
      writeErr: (s) => (io.json ? undefined : io.stderr.write(s)),
    })
    .addHelpText('after', GLOBAL_HELP)
    .exitOverride();
}

/** The `mlops` command that command groups register themselves on (its global options typed). */
export type RootCommand = ReturnType<typeof createRootCommand>;
