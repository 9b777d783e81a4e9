#!/usr/bin/env node
// `npm run docs:api`: the API reference of every published package (not `private`), generated from the TSDoc comments
// of the sources by TypeDoc 0.28 + typedoc-plugin-markdown into docs/reference/ (git-ignored: generated files that
// are committed go stale). One TypeScript program over the repository's tsconfig, one entry point per `exports`
// subpath of each package (./dist/x.js → src/x.ts). Prints the number of warnings; `--strict` fails on any.
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Application, LogLevel } from 'typedoc';
import { listWorkspaces, ROOT } from './workspaces.mjs';

const OUT = join(ROOT, 'docs/reference');
const strict = process.argv.includes('--strict');

/** The source files behind the `exports` of every published package. */
export function apiEntryPoints() {
  const entries = [];
  for (const { dir, pkg } of listWorkspaces()) {
    if (pkg.private || !dir.startsWith(join(ROOT, 'packages'))) continue;
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const file = typeof target === 'string' ? target : (target.import?.default ?? target.import ?? target.default);
      if (typeof file !== 'string' || !file.startsWith('./dist/') || !file.endsWith('.js')) continue;
      const src = join(dir, file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
      if (!existsSync(src)) throw new Error(`${pkg.name} exports ${subpath} but ${relative(ROOT, src)} does not exist`);
      entries.push({ name: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, src });
    }
  }
  return entries;
}

async function main() {
  const entries = apiEntryPoints();
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map((e) => e.src),
    entryPointStrategy: 'resolve',
    tsconfig: join(ROOT, 'tsconfig.json'),
    plugin: ['typedoc-plugin-markdown'],
    out: OUT,
    name: 'mlops-ts API reference',
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    skipErrorChecking: true,
    githubPages: false,
    hideGenerator: true,
    disableSources: true,
    logLevel: LogLevel.Warn,
    // the markdown plugin: one file per module, members grouped on the module page
    outputFileStrategy: 'modules',
    entryFileName: 'README.md',
    useCodeBlocks: true,
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the project');
  // Name each module after its package (TypeDoc would use the path, e.g. "core/src").
  // TypeDoc names a module by its path under the entry points' common folder, without `/index.ts`.
  const byPath = new Map(
    entries.map((e) => [relative(join(ROOT, 'packages'), e.src).replace(/\/index\.ts$|\.ts$/, ''), e.name]),
  );
  const unnamed = [];
  for (const child of project.children ?? []) {
    const name = byPath.get(child.name);
    if (name) child.name = name;
    else unnamed.push(child.name);
  }
  if (unnamed.length > 0) throw new Error(`modules not matched to a package: ${unnamed.join(', ')}`);
  app.validate(project); // what the typedoc CLI runs: referenced-but-not-exported types, broken {@link}s
  rmSync(OUT, { recursive: true, force: true });
  await app.generateOutputs(project);
  const warnings = app.logger.warningCount;
  const errors = app.logger.errorCount;
  console.log(
    `docs/reference: ${entries.length} entry points, ${project.children?.length ?? 0} modules, ${warnings} warnings, ${errors} errors`,
  );
  if (errors > 0 || (strict && warnings > 0)) process.exitCode = 1;
}

if (process.argv[1] && relative(process.argv[1], import.meta.filename) === '') await main();
