// The architecture diagrams: the committed SVGs are what `npm run docs:diagram` renders from the source, every
// package under packages/ is in the packages diagram, and its arrows are exactly the @mlops dependencies declared in
// the package.json files (so the picture cannot drift from the code).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface DiagramNode {
  id: string;
  x: number;
  y: number;
  lines: string[];
  packages?: string[];
}
interface Diagram {
  id: string;
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: [string, string, string?, string?][];
}
type DiagramModule = {
  SOURCE: string;
  renderAll: (source?: string) => { id: string; file: string; svg: string }[];
  renderDiagram: (d: Diagram) => string;
  boxOf: (n: DiagramNode) => { x: number; y: number; w: number; h: number };
};
const gen = (await import(pathToFileURL(join(root, 'scripts/diagram.mjs')).href)) as DiagramModule;
const source = JSON.parse(readFileSync(gen.SOURCE, 'utf8')) as { diagrams: Diagram[] };
const workspaces = (
  (await import(pathToFileURL(join(root, 'scripts/workspaces.mjs')).href)) as {
    listWorkspaces: () => { dir: string; pkg: { name: string; private?: boolean } & Record<string, unknown> }[];
  }
).listWorkspaces();
const packages = workspaces.filter(({ dir }) => dir.startsWith(join(root, 'packages')));

describe('architecture diagrams', () => {
  it('the committed SVGs are up to date (run `npm run docs:diagram` after editing the source)', () => {
    const rendered = gen.renderAll();
    expect(rendered.map((r) => r.id)).toEqual(['packages', 'lifecycle']);
    for (const { file, svg } of rendered) expect(readFileSync(file, 'utf8'), file).toBe(svg);
  });

  it('every node fits in its diagram and no two boxes overlap', () => {
    for (const d of source.diagrams) {
      const boxes = d.nodes.map((n) => ({ id: n.id, ...gen.boxOf(n) }));
      for (const b of boxes) {
        expect(b.x, `${d.id}/${b.id}`).toBeGreaterThanOrEqual(0);
        expect(b.y, `${d.id}/${b.id}`).toBeGreaterThanOrEqual(30);
        expect(b.x + b.w, `${d.id}/${b.id}`).toBeLessThanOrEqual(d.width);
        expect(b.y + b.h, `${d.id}/${b.id}`).toBeLessThanOrEqual(d.height);
      }
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${d.id}: ${a.id} overlaps ${b.id}`).toBe(false);
        }
      }
    }
  });

  const pkgDiagram = source.diagrams.find((d) => d.id === 'packages')!;
  const nodeOf = new Map(pkgDiagram.nodes.flatMap((n) => (n.packages ?? []).map((p) => [p, n.id] as const)));

  it('every package under packages/ appears in the packages diagram, and nothing else does', () => {
    expect(packages.length).toBeGreaterThanOrEqual(15);
    expect([...nodeOf.keys()].sort()).toEqual(packages.map((w) => w.pkg.name).sort());
    const svg = readFileSync(join(root, 'docs/architecture/packages.svg'), 'utf8');
    for (const w of packages) {
      const short = w.pkg.name.replace(/^@mlops\/plugin-/, '-');
      expect(svg.includes(w.pkg.name) || svg.includes(short), w.pkg.name).toBe(true);
    }
  });

  it('its arrows are exactly the @mlops dependencies of the package.json files', () => {
    const declared = new Set<string>();
    for (const { pkg } of packages) {
      const deps = {
        ...(pkg.dependencies as Record<string, string> | undefined),
        ...(pkg.peerDependencies as Record<string, string> | undefined),
      };
      for (const dep of Object.keys(deps).filter((d) => d.startsWith('@mlops/'))) {
        const from = nodeOf.get(pkg.name);
        const to = nodeOf.get(dep);
        if (from && to && from !== to) declared.add(`${from} → ${to}`);
      }
    }
    const drawn = new Set(pkgDiagram.edges.map(([a, b]) => `${a} → ${b}`));
    expect([...drawn].sort()).toEqual([...declared].sort());
  });

  it('the generator is deterministic and escapes text', () => {
    const d: Diagram = {
      id: 't',
      width: 200,
      height: 100,
      nodes: [{ id: 'a', x: 100, y: 60, lines: ['<a & b>'] }],
      edges: [],
    };
    const svg = gen.renderDiagram(d);
    expect(svg).toBe(gen.renderDiagram(structuredClone(d)));
    expect(svg).toContain('&lt;a &amp; b&gt;');
    expect(() => gen.renderDiagram({ ...d, edges: [['a', 'nope']] })).toThrow(/unknown node/);
  });
});
