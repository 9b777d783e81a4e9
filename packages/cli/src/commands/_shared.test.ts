import { describe, expect, it } from 'vitest';
import { bufferSink } from '../output.js';
import { run } from '../program.js';
import { collect, examples, list, portNumber, positiveInt } from './_shared.js';
import { parseWindow } from './monitor/command.js';

describe('option values', () => {
  it.each([
    ['1', 1],
    ['50', 50],
  ])('positiveInt(%j) is %d', (text, n) => {
    expect(positiveInt(text, 'limit')).toBe(n);
  });

  it.each(['0', '-1', '1.5', 'x', ''])('positiveInt(%j) is INVALID_INPUT naming the option', (text) => {
    expect(() => positiveInt(text, 'limit')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: `Invalid --limit "${text}": expected a positive integer`,
      }),
    );
  });

  it.each([
    ['0', 0],
    ['8080', 8080],
    ['65535', 65535],
  ])('portNumber(%j) is %d', (text, port) => {
    expect(portNumber(text)).toBe(port);
  });

  it.each(['-1', '65536', '80.5', 'http'])('portNumber(%j) is INVALID_INPUT', (text) => {
    expect(() => portNumber(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['30m', 1_800_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
  ])('parseWindow(%j) is %d ms', (text, ms) => {
    expect(parseWindow(text)).toBe(ms);
  });

  it.each(['3x', '0m', 'd', '', '-1h'])('parseWindow(%j) is INVALID_INPUT', (text) => {
    expect(() => parseWindow(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('collect repeats, list splits on commas and drops empty items', () => {
    expect(collect('b', collect('a'))).toEqual(['a', 'b']);
    expect(list('x', list('id, ts,'))).toEqual(['id', 'ts', 'x']);
  });

  it('examples() renders the block that ends every --help', () => {
    expect(examples([['mlops runs ls', 'newest runs']])).toBe('\nExamples:\n  # newest runs\n  $ mlops runs ls\n');
  });
});

describe('a bad option value on the command line', () => {
  // Checked before any resource opens: the store URL would fail if it were opened.
  it.each([
    [['runs', 'ls', '--limit', 'x'], 'Invalid --limit "x": expected a positive integer'],
    [['models', 'ls', '--limit', '0'], 'Invalid --limit "0": expected a positive integer'],
    [['models', 'versions', 'm', '--limit', '-2'], 'Invalid --limit "-2": expected a positive integer'],
    [['monitor', 'm', '--window', '3x'], 'Invalid --window "3x": expected a duration such as 30m, 6h or 7d'],
    [['monitor', 'm', '--min-samples', '0'], 'Invalid --min-samples "0": expected a positive integer'],
    [['monitor', 'm', '--version', 'v2'], 'Invalid --version "v2": expected a positive integer'],
    [['serve', 'm', '--port', '99999'], 'Invalid --port "99999": expected 0-65535'],
    [['ui', '--port', '-1'], 'Invalid --port "-1": expected 0-65535'],
    [['drift', 'a.csv', 'b.csv', '--share', '2'], 'Invalid --share "2": expected (0, 1]'],
  ])('mlops %j: exit 2, error: <message> [INVALID_INPUT]', async (args, message) => {
    const stdout = bufferSink();
    const stderr = bufferSink();
    expect(await run(['--store', 'pglite:///nonexistent/x', ...args], { stdout, stderr, env: {} })).toBe(2);
    expect(stderr.text).toBe(`error: ${message} [INVALID_INPUT]\n`);
    expect(stdout.text).toBe('');
  });

  it("a value outside an option's choices is commander's usage error (exit 2, with the help)", async () => {
    const stderr = bufferSink();
    expect(await run(['models', 'versions', 'm', '--status', 'bogus'], { stdout: bufferSink(), stderr, env: {} })).toBe(
      2,
    );
    expect(stderr.text).toContain("option '--status <status>' argument 'bogus' is invalid");
    expect(stderr.text).toContain('Usage: mlops models versions');
  });
});
