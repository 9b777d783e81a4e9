// docs/tutorial.md stays runnable as the APIs evolve: its TypeScript files type-check against the current sources
// (strict, with the repository's tsconfig), and every `mlops` command it shows exists in the CLI.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../packages/cli/src/program.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tutorial = readFileSync(join(root, 'docs/tutorial.md'), 'utf8');
/** The ```ts blocks that are files: they start with a `// name.ts` comment. */
const files = [...tutorial.matchAll(/```ts\n\/\/ ([\w-]+\.ts)\n([\s\S]*?)```/g)].map((m) => ({
  name: m[1]!,
  code: m[2]!,
}));

describe('docs/tutorial.md', () => {
  it('its TypeScript files type-check against the current sources', () => {
    expect(files.map((f) => f.name)).toEqual(['get-data.ts', 'train.ts', 'traffic.ts']);
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    // The files live in a `tutorial/` folder inside the clone, as the tutorial says.
    const virtual = new Map(files.map((f) => [join(root, 'tutorial', f.name), f.code]));
    const host = ts.createCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) =>
      virtual.has(name) ? ts.createSourceFile(name, virtual.get(name)!, lang) : getSourceFile(name, lang, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => virtual.has(name) || fileExists(name);
    const program = ts.createProgram([...virtual.keys()], { ...config.options, noEmit: true }, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && virtual.has(d.file.fileName))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${d.file!.fileName.slice(root.length + 1)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      });
    expect(diagnostics).toEqual([]);
  }, 120_000);

  it('every `mlops` command it shows exists', () => {
    const program = createProgram({}, { exitCode: 0, json: false });
    const known = new Map(program.commands.map((c) => [c.name(), new Set(c.commands.map((s) => s.name()))]));
    const shown = [...tutorial.matchAll(/npx mlops (?:--server \S+ )?([a-z]+)(?: ([a-z]+))?/g)];
    expect(shown.length).toBeGreaterThanOrEqual(10);
    for (const [line, cmd, sub] of shown) {
      if (cmd!.startsWith('-')) continue;
      expect(known.has(cmd!), line).toBe(true);
      const subs = known.get(cmd!)!;
      if (subs.size > 0) expect(subs.has(sub!), line).toBe(true);
    }
  });
});
