// The import-cycle check of `npm run check:packages`: fails on a cycle made only of type imports, passes without one.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs script
import { findCycles } from './check-cycles.mjs';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'check-cycles.mjs');
let dir: string;

/** Writes a fixture folder: a tsconfig resolving `./x.js` to `./x.ts` as the repository's does, and `files`. */
async function fixture(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'src'), { recursive: true });
  await writeFile(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } }),
  );
  for (const [file, text] of Object.entries(files)) await writeFile(join(root, 'src', file), text);
  return root;
}

let typeCycle: string;
let reexportCycle: string;
let acyclic: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-cycles-'));
  // types.ts → gates.ts → types.ts, type-only both ways (the registry's old knot); main.ts only uses it.
  typeCycle = await fixture('type-cycle', {
    'types.ts': "import type { Gate } from './gates.js';\nexport interface Version { gate?: Gate }\n",
    'gates.ts': "import type { Version } from './types.js';\nexport type Gate = (v: Version) => boolean;\n",
    'main.ts': "import type { Gate } from './gates.js';\nexport const pass: Gate = () => true;\n",
  });
  // A cycle through a type-only re-export: index.ts → a.ts → index.ts.
  reexportCycle = await fixture('reexport-cycle', {
    'index.ts': "export type { A } from './a.js';\nexport interface Root { n: number }\n",
    'a.ts': "import type { Root } from './index.js';\nexport interface A { root: Root }\n",
  });
  // The same types layered: gates.ts and types.ts both import from records.ts, which imports neither.
  acyclic = await fixture('acyclic', {
    'records.ts': 'export interface Version { n: number }\n',
    'gates.ts': "import type { Version } from './records.js';\nexport type Gate = (v: Version) => boolean;\n",
    'types.ts':
      "import type { Gate } from './gates.js';\nexport type { Version } from './records.js';\nexport interface Input { gate?: Gate }\n",
    'main.ts':
      "import type { Gate } from './gates.js';\nimport type { Input } from './types.js';\nexport const f = (i: Input, g: Gate) => [i, g];\n",
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(folder: string) {
  return run(process.execPath, [SCRIPT, folder]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('check-cycles.mjs (run by npm run check:packages)', () => {
  it('finds a cycle made only of `import type` lines', async () => {
    const { files, cycles } = await findCycles({ cwd: typeCycle });
    expect(files).toBe(3);
    expect(cycles).toHaveLength(1);
    expect([...cycles[0]].sort()).toEqual(['src/gates.ts', 'src/types.ts']);
  });

  it('finds a cycle through `export type … from`', async () => {
    const { cycles } = await findCycles({ cwd: reexportCycle });
    expect(cycles.map((c: string[]) => [...c].sort())).toEqual([['src/a.ts', 'src/index.ts']]);
  });

  it('finds none when the shared types live below both sides', async () => {
    expect(await findCycles({ cwd: acyclic })).toEqual({ files: 4, cycles: [] });
  });

  it('exits 1 and names the files of each cycle; exits 0 without one', async () => {
    const failed = await cli(typeCycle);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/1 found in 3 files/);
    expect(failed.out).toMatch(/src\/(types|gates)\.ts → src\/(gates|types)\.ts → src\/(types|gates)\.ts/);
    const passed = await cli(acyclic);
    expect(passed.code).toBe(0);
    expect(passed.out).toMatch(/no import cycles in 4 files/);
  });
});
