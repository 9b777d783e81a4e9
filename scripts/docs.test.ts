// The documentation is reachable and its generators are wired: every guide in docs/ is linked from the README, every
// relative link in the guides points at a file that exists, and `npm run docs:api` / `docs:diagram` exist and cover
// every published package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('docs', () => {
  it('every guide in docs/ is linked from the README', () => {
    expect(guides).toEqual(expect.arrayContaining(['tutorial.md', 'architecture.md', 'deploy.md']));
    for (const g of guides) expect(readme, g).toContain(`(docs/${g})`);
  });

  it('relative links in the README and the guides point at files that exist', () => {
    const broken: string[] = [];
    for (const file of ['README.md', ...guides.map((g) => `docs/${g}`)]) {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
        if (!existsSync(join(root, dirname(file), target))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('npm run docs:api and docs:diagram exist; the API reference covers every published package', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts['docs:api']).toBe('node scripts/docs-api.mjs');
    expect(pkg.scripts['docs:diagram']).toBe('node scripts/diagram.mjs');
    expect(pkg.devDependencies.typedoc).toMatch(/^0\.28\.\d+$/);
    const { apiEntryPoints } = (await import(pathToFileURL(join(root, 'scripts/docs-api.mjs')).href)) as {
      apiEntryPoints: () => { name: string; src: string }[];
    };
    const { listWorkspaces } = (await import(pathToFileURL(join(root, 'scripts/workspaces.mjs')).href)) as {
      listWorkspaces: () => { dir: string; pkg: { name: string; private?: boolean } }[];
    };
    const published = listWorkspaces()
      .filter((w) => !w.pkg.private && w.dir.startsWith(join(root, 'packages')))
      .map((w) => w.pkg.name);
    const entries = apiEntryPoints();
    for (const e of entries) expect(existsSync(e.src), e.src).toBe(true);
    expect([...new Set(entries.map((e) => e.name.match(/^@mlops\/[^/]+/)![0]))].sort()).toEqual(published.sort());
    // generated output is not committed
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^docs\/reference\/$/m);
  });
});
