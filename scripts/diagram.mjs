#!/usr/bin/env node
// Renders the architecture diagrams of docs/architecture/diagrams.json to SVG (one file per diagram, beside the
// source): `npm run docs:diagram`. A small generator instead of Graphviz: the layout is given in the source (a few
// boxes on a grid), the output is byte-for-byte deterministic on every machine, and no system package is needed,
// so the test that the committed SVGs are up to date runs everywhere (scripts/diagram.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(ROOT, 'docs/architecture/diagrams.json');

const FONT = 12;
const CHAR = 6.9; // average advance of the 12 px sans-serif font, for box widths
const LINE = 16;
const PAD_X = 12;
const PAD_Y = 9;
const STYLES = {
  box: { fill: '#eef4ff', stroke: '#3b6fd8', dash: '' },
  note: { fill: '#f6f6f6', stroke: '#8a8a8a', dash: '' },
  store: { fill: '#fff6e5', stroke: '#c98a12', dash: '' },
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n) => String(Math.round(n * 10) / 10);

/** The box of a node: centred on (x, y), sized to its text. */
export function boxOf(node) {
  const w = Math.max(...node.lines.map((l) => l.length)) * CHAR + 2 * PAD_X;
  const h = node.lines.length * LINE + 2 * PAD_Y - 4;
  return { x: node.x - w / 2, y: node.y - h / 2, w, h, cx: node.x, cy: node.y };
}

/** Where the segment from the centre of `b` towards (tx, ty) leaves the box. */
function exitPoint(b, tx, ty) {
  const dx = tx - b.cx;
  const dy = ty - b.cy;
  const sx = dx === 0 ? Number.POSITIVE_INFINITY : b.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Number.POSITIVE_INFINITY : b.h / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: b.cx + dx * s, y: b.cy + dy * s };
}

/** Renders one diagram of the source to an SVG document (a string ending with a newline). */
export function renderDiagram(d) {
  const boxes = new Map(d.nodes.map((n) => [n.id, boxOf(n)]));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${d.width} ${d.height}" width="${d.width}" height="${d.height}" role="img" aria-labelledby="title-${esc(d.id)}">`,
    `<title id="title-${esc(d.id)}">${esc(d.title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    `<rect width="${d.width}" height="${d.height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-family="sans-serif" font-size="14" font-weight="bold" fill="#222">${esc(d.title)}</text>`,
  ];
  for (const [from, to, label, style] of d.edges) {
    const a = boxes.get(from);
    const b = boxes.get(to);
    if (!a || !b) throw new Error(`diagram ${d.id}: edge ${from} → ${to} names an unknown node`);
    const p = exitPoint(a, b.cx, b.cy);
    const q = exitPoint(b, a.cx, a.cy);
    const dash = style === 'dashed' ? ' stroke-dasharray="5 4"' : '';
    const marker = style === 'dashed' ? '' : ' marker-end="url(#arrow)"';
    out.push(
      `<line x1="${num(p.x)}" y1="${num(p.y)}" x2="${num(q.x)}" y2="${num(q.y)}" stroke="#444" stroke-width="1.3"${dash}${marker}/>`,
    );
    if (label) {
      const mx = (p.x + q.x) / 2;
      const my = (p.y + q.y) / 2;
      const w = label.length * CHAR * 0.92 + 8;
      out.push(
        `<rect x="${num(mx - w / 2)}" y="${num(my - 9)}" width="${num(w)}" height="16" rx="3" fill="#ffffff" opacity="0.9"/>`,
        `<text x="${num(mx)}" y="${num(my + 3)}" text-anchor="middle" font-family="sans-serif" font-size="11" font-style="italic" fill="#333">${esc(label)}</text>`,
      );
    }
  }
  for (const n of d.nodes) {
    const b = boxes.get(n.id);
    const s = STYLES[n.style ?? 'box'];
    if (!s) throw new Error(`diagram ${d.id}: node ${n.id} has an unknown style ${n.style}`);
    out.push(
      `<g id="node-${esc(n.id)}">`,
      `<rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.w)}" height="${num(b.h)}" rx="6" fill="${s.fill}" stroke="${s.stroke}" stroke-width="1.4"/>`,
    );
    n.lines.forEach((l, i) => {
      const y = b.y + PAD_Y + FONT + i * LINE - 2;
      const weight = i === 0 ? ' font-weight="bold"' : '';
      out.push(
        `<text x="${num(b.cx)}" y="${num(y)}" text-anchor="middle" font-family="sans-serif" font-size="${FONT}"${weight} fill="#1c1c1c">${esc(l)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Reads the source and returns `{ file, svg }` for every diagram. */
export function renderAll(source = SOURCE) {
  const { diagrams } = JSON.parse(readFileSync(source, 'utf8'));
  return diagrams.map((d) => ({ id: d.id, file: join(dirname(source), `${d.id}.svg`), svg: renderDiagram(d) }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, svg } of renderAll()) {
    writeFileSync(file, svg);
    console.log(`wrote ${file.slice(ROOT.length + 1)}`);
  }
}
