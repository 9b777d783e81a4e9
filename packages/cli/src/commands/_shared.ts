/**
 * What every `src/commands/<group>/command.ts` uses to declare its commands: the {@link CommandHost} that runs a
 * handler, the examples block of `--help`, repeatable-option collectors and the option-value checks. Nothing here
 * loads a handler: `mlops --help` and usage errors stay fast.
 */
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output.js';
import type { ImportModule } from '../plugins.js';
import type { RootCommand } from '../root-command.js';

/** A command's work once its options are parsed: returns an exit code, or nothing for 0. */
export type CommandHandler = (ctx: CliContext, out: Output) => Promise<unknown>;

/** How a command's action runs its handler (given by `createProgram`). */
export interface CommandHost {
  /**
   * Opens the invocation's lazy {@link CliContext} from the global options of `command`, runs `handler`, records
   * its exit code and closes the context.
   */
  run(command: { optsWithGlobals(): GlobalOptions }, handler: CommandHandler): Promise<void>;
  /** How plugin and config modules are loaded (`run()`'s `importModule`; tests pass a fake). */
  readonly importModule: ImportModule | undefined;
}

/** What each command group exports: declares its commands on the `mlops` command. */
export type RegisterCommands = (program: RootCommand, host: CommandHost) => void;

/** The `Examples:` block that ends every command's `--help`: `[command line, what it does]` pairs. */
export function examples(lines: [string, string][]): string {
  return `\nExamples:\n${lines.map(([cmd, what]) => `  # ${what}\n  $ ${cmd}\n`).join('')}`;
}

/** A repeatable option: each occurrence adds one value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A repeatable option of comma-separated values (`--exclude id,ts --exclude x`). */
export const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** An `INVALID_INPUT` error (exit 2) for a bad option value, without loading `@mlops/core`. */
export function usageError(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/** `--<what> <n>`: a positive integer, else a usage error. */
export function positiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`Invalid --${what} "${value}": expected a positive integer`);
  return n;
}

/** `--port <port>`: 0-65535 (0 picks a free port), else a usage error. */
export function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`Invalid --port "${value}": expected 0-65535`);
  }
  return port;
}
