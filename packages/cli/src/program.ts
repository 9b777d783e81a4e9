import { CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { MlopsError } from '@mlops/core';
import type { CommandHost, RegisterCommands } from './commands/_shared.js';
import { registerData } from './commands/data/command.js';
import { registerDrift } from './commands/drift/command.js';
import { registerModels } from './commands/models/command.js';
import { registerMonitor } from './commands/monitor/command.js';
import { registerRetrain } from './commands/retrain/command.js';
import { registerRuns } from './commands/runs/command.js';
import { registerServe } from './commands/serve/command.js';
import { registerTune } from './commands/tune/command.js';
import { registerUi } from './commands/ui/command.js';
import type { CliContextOptions } from './context.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { createOutput, type TextSink } from './output.js';
import { printError } from './print-error.js';
import { createRootCommand, type RootCommand } from './root-command.js';

/**
 * The command groups, in `mlops --help` order. Each folder under `src/commands/` declares its commands (arguments,
 * typed options, help, examples) in `command.ts` beside the handlers that do the work (`handlers.ts`).
 */
const COMMAND_GROUPS: RegisterCommands[] = [
  registerData,
  registerRuns,
  registerModels,
  registerDrift,
  registerMonitor,
  registerServe,
  registerUi,
  registerRetrain,
  registerTune,
];

/** Options of {@link run}: where to write and what environment to use (tests pass buffers). */
export interface RunOptions extends Pick<CliContextOptions, 'cwd' | 'env' | 'importModule'> {
  /**
   * Standard output.
   * @default process.stdout
   */
  stdout?: TextSink;
  /**
   * Standard error.
   * @default process.stderr
   */
  stderr?: TextSink;
}

/**
 * Builds the `mlops` command tree (commander). Each action opens a lazy `CliContext`, runs one handler from
 * `src/commands/<group>/handlers.ts` and records its exit code in `state`. `versionFlags`: the root's version option
 * (default `-V, --version`).
 */
export function createProgram(
  io: RunOptions,
  state: { exitCode: number; json: boolean },
  options: { versionFlags?: string } = {},
): RootCommand {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = createRootCommand({ stdout, stderr, json: state.json, ...options });
  const host: CommandHost = {
    importModule: io.importModule,
    async run(command, handler) {
      const globals = command.optsWithGlobals();
      state.json = globals.json === true;
      const { createCliContext } = await import('./context.js');
      const ctx = createCliContext({
        store: globals.store,
        server: globals.server,
        apiKey: globals.apiKey,
        objects: globals.objects,
        cwd: io.cwd,
        env: io.env,
        importModule: io.importModule,
      });
      const out = createOutput({ json: state.json, stdout, stderr });
      try {
        const code = await handler(ctx, out);
        state.exitCode = typeof code === 'number' ? code : EXIT_CODES.OK;
      } finally {
        await ctx.close();
      }
    },
  };
  for (const register of COMMAND_GROUPS) register(program, host);
  return program;
}

/**
 * The command `argv` invokes and the index of its name (-1 for the root): follows subcommand names from the root,
 * skipping options and the value of a root option that takes one (`--store URL`); stops at the first operand that
 * names no subcommand.
 */
function invokedCommand(program: CommandUnknownOpts, argv: string[]): [CommandUnknownOpts, number] {
  const takesValue = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter(Boolean)),
  );
  let command = program;
  let at = -1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    command = sub;
    at = i;
  }
  return [command, at];
}

/** True when `argv` gives `--version` after the name of a command that declares its own `--version` (monitor). */
function versionBelongsToCommand(program: CommandUnknownOpts, argv: string[]): boolean {
  const [command, at] = invokedCommand(program, argv);
  return at >= 0 && command.options.some((o) => o.long === '--version') && argv.indexOf('--version') > at;
}

/** A commander usage error (unknown command or option, missing argument, bad choice) as a typed `INVALID_INPUT`. */
function usageError(err: CommanderError, program: CommandUnknownOpts, argv: string[]): MlopsError {
  const [command] = invokedCommand(program, argv);
  const name = ['mlops', ...commandPath(command)].join(' ');
  const message =
    err.code === 'commander.help' ? `${name} needs a command` : err.message.replace(/^error: /, '').trim();
  return Object.assign(new MlopsError('INVALID_INPUT', { message, details: [{ path: 'argv', message }] }), {
    hint: `See ${name} --help`,
  });
}

/** The names from the root's child down to `command` (empty for the root). */
function commandPath(command: CommandUnknownOpts): string[] {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * Runs `mlops` with the given arguments (without `node` and the script) and resolves to the exit code; never calls
 * `process.exit`. Errors are printed to stderr (as `{ error: { code, message, exitCode } }` with `--json`).
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2));
 */
export async function run(argv: string[], io: RunOptions = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const state = { exitCode: EXIT_CODES.OK as number, json: argv.includes('--json') };
  let program = createProgram(io, state);
  // Commander lets the root's options (the global ones, and -V, --version) appear anywhere on the line, so the root
  // would take `mlops monitor churn --version 4` for itself: a command that declares --version gets it.
  if (versionBelongsToCommand(program, argv)) program = createProgram(io, state, { versionFlags: '-V' });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_CODES.OK;
      // `mlops help [command]` asked for the help (exit code 0); a group without its subcommand shows it as an error.
      if (err.code === 'commander.help' && err.exitCode === 0) return EXIT_CODES.OK;
      // Without --json commander has already printed the message (and the help); with it, one JSON document.
      if (state.json) printError(usageError(err, program, argv), true, stderr);
      return EXIT_CODES.USAGE;
    }
    printError(err, state.json, stderr);
    return exitCodeFor(err);
  }
}
