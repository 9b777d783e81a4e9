import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { bufferSink } from './output.js';
import { createProgram, run } from './program.js';

function leafCommands(cmd: CommandUnknownOpts, prefix: string[] = []): string[][] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  if (subs.length === 0) return [prefix];
  return subs.flatMap((c) => leafCommands(c, [...prefix, c.name()]));
}

/** Every command of the tree, with its path (`['models', 'promote']`); the root is `[]`. */
function allCommands(cmd: CommandUnknownOpts, prefix: string[] = []): [string[], CommandUnknownOpts][] {
  return [
    [prefix, cmd],
    ...cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => allCommands(c, [...prefix, c.name()])),
  ];
}

const io = () => ({ stdout: bufferSink(), stderr: bufferSink() });

describe('mlops program', () => {
  const program = createProgram(io(), { exitCode: 0, json: false });
  const leaves = leafCommands(program);

  it('has the commands of issue 10', () => {
    expect(leaves.map((l) => l.join(' '))).toEqual(
      expect.arrayContaining([
        'data add',
        'data push',
        'data pull',
        'data status',
        'runs ls',
        'runs show',
        'runs compare',
        'models ls',
        'models promote',
        'models rollback',
        'drift',
        'serve',
        'retrain',
      ]),
    );
  });

  it.each(leaves.map((l) => [l.join(' ')]))('mlops %s --help exits 0 and shows examples', async (name) => {
    const o = io();
    const code = await run([...name.split(' '), '--help'], o);
    expect(code).toBe(0);
    expect(o.stdout.text).toContain(`Usage: mlops ${name}`);
    expect(o.stdout.text).toContain('Examples:');
    expect(o.stdout.text).toMatch(/\$ mlops /);
  });

  it('documents every command, argument and option (so --help stays documented)', () => {
    const undocumented: string[] = [];
    for (const [path, cmd] of allCommands(program)) {
      const name = ['mlops', ...path].join(' ');
      if (!cmd.description().trim()) undocumented.push(`${name}: no description`);
      for (const arg of cmd.registeredArguments) {
        if (!arg.description.trim()) undocumented.push(`${name} <${arg.name()}>: no description`);
      }
      for (const option of cmd.options) {
        if (!option.description.trim()) undocumented.push(`${name} ${option.flags}: no description`);
      }
    }
    expect(undocumented).toEqual([]);
    // the walk saw the whole tree: the root, the groups, their subcommands and the single commands
    expect(allCommands(program).map(([path]) => path.join(' '))).toEqual(
      expect.arrayContaining(['', 'data', 'data add', 'runs best', 'models promote', 'monitor', 'retrain']),
    );
  });

  it('a group without a subcommand is a usage error (exit 2) showing its help', async () => {
    const o = io();
    expect(await run(['models'], o)).toBe(2);
    expect(o.stderr.text).toContain('Usage: mlops models');
    expect(o.stderr.text).toContain('promote');
  });

  it('mlops help [command] prints the help on stdout and exits 0, like --help', async () => {
    for (const argv of [['help'], ['help', 'runs'], ['runs', 'help', 'ls'], ['models', 'help', 'promote']]) {
      const o = io();
      expect(await run(argv, o), argv.join(' ')).toBe(0);
      expect(o.stdout.text).toContain(`Usage: mlops ${argv.filter((a) => a !== 'help').join(' ')}`.trimEnd());
      expect(o.stderr.text).toBe('');
    }
  });

  it("with --json, a usage error is one JSON document on stderr (exit 2), not commander's text and help", async () => {
    for (const argv of [
      ['runs', 'ls', '--bogus', '--json'],
      ['--json', 'runs', 'show'],
      ['models', '--json'],
      ['nope', '--json'],
      ['serve', 'm', '--log-inputs', 'bogus', '--json'],
    ]) {
      const o = io();
      expect(await run(argv, o), argv.join(' ')).toBe(2);
      expect(o.stdout.text).toBe('');
      const parsed = JSON.parse(o.stderr.text) as { error: { code: string; message: string; hint?: string } };
      expect(parsed.error).toMatchObject({ code: 'INVALID_INPUT', exitCode: 2 });
      expect(parsed.error.message).not.toMatch(/^error: /);
      expect(parsed.error.message).not.toContain('Usage:');
      expect(parsed.error.hint).toMatch(/^See mlops .*--help/);
    }
  });

  it('a bad option value is a usage error before anything is opened', async () => {
    const o = io();
    expect(await run(['--store', 'pglite:///nonexistent/x', 'runs', 'ls', '--limit', '0', '--json'], o)).toBe(2);
    expect(JSON.parse(o.stderr.text)).toMatchObject({ error: { code: 'INVALID_INPUT', exitCode: 2 } });
    expect(o.stdout.text).toBe('');
  });

  it('an invalid gate expression is exit 2 naming the problem', async () => {
    const o = io();
    const code = await run(['--server', 'http://127.0.0.1:9', 'models', 'promote', 'm', '1', '--gate', 'acc>=high'], o);
    expect(code).toBe(2);
    expect(o.stderr.text).toContain('"high" is not a number');
  });

  it('--version prints the package version, before or after a command that has no --version of its own', async () => {
    for (const argv of [
      ['--version'],
      ['-V'],
      ['runs', 'ls', '--version'],
      ['monitor', 'm', '-V'],
      ['--version', 'monitor'],
    ]) {
      const o = io();
      expect(await run(argv, o)).toBe(0);
      expect(o.stdout.text).toMatch(/^\d+\.\d+\.\d+\n$/);
    }
  });

  it('mlops monitor <model> --version <n> is the version to evaluate, not the CLI version', async () => {
    const o = { ...io(), env: {} };
    expect(await run(['--store', 'memory://', 'monitor', 'nope', '--version', '3', '--json'], o)).toBe(3);
    expect(o.stdout.text).toBe('');
    expect(JSON.parse(o.stderr.text)).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 3 } });
  }, 120_000); // an in-memory PGlite and its migrations: seconds, much more on a loaded machine
});
