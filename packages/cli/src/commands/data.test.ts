import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../context.js';
import { bufferSink, createOutput } from '../output.js';
import { dataAdd, dataLs, dataPull, dataPush, dataReport, dataStatus, pointerOf } from './data.js';

let dir: string;
let ctx: CliContext;
const json = () => {
  const stdout = bufferSink();
  return { out: createOutput({ json: true, stdout, stderr: bufferSink() }), read: () => JSON.parse(stdout.text) };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-cmd-data-'));
  await writeFile(join(dir, 'd.csv'), 'n,c,label\n1,a,x\n2,b,y\n,a,x\n4,a,y\n');
  ctx = createCliContext({ store: 'memory://', cwd: dir, env: {} });
});
afterAll(async () => {
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
});

describe('data command functions', () => {
  it('pointerOf accepts the pointer or the data path', () => {
    expect(pointerOf('d.csv', dir)).toBe(join(dir, 'd.csv.mlops.json'));
    expect(pointerOf('d.csv.mlops.json', dir)).toBe(join(dir, 'd.csv.mlops.json'));
  });

  it('add (twice: idempotent), ls, status, push, pull', async () => {
    const a = json();
    await dataAdd({ path: 'd.csv' }, ctx, a.out);
    const added = a.read();
    expect(added).toMatchObject({ name: 'd.csv', created: true, pointer: 'd.csv.mlops.json' });
    expect(added.schema.columns.map((c: { name: string }) => c.name)).toEqual(['n', 'c', 'label']);
    const again = json();
    await dataAdd({ path: 'd.csv' }, ctx, again.out);
    expect(again.read()).toMatchObject({ version: added.version, created: false });

    const ls = json();
    await dataLs({ name: 'd.csv' }, ctx, ls.out);
    expect(ls.read().versions.map((v: { version: string }) => v.version)).toEqual([added.version]);

    await writeFile(join(dir, 'd.csv'), 'changed\n');
    const st = json();
    await dataStatus({ target: 'd.csv' }, ctx, st.out);
    expect(st.read()).toMatchObject({ state: 'modified', remote: null });

    const remote = join(dir, 'remote');
    await dataPush({ target: 'd.csv', remote }, ctx, json().out);
    const fresh = join(dir, 'fresh');
    await mkdir(fresh);
    await copyFile(join(dir, 'd.csv.mlops.json'), join(fresh, 'd.csv.mlops.json'));
    const freshCtx = createCliContext({ cwd: fresh, env: { MLOPS_REMOTE: remote } });
    const pulled = json();
    await dataPull({ target: 'd.csv' }, freshCtx, pulled.out);
    await freshCtx.close();
    expect(pulled.read()).toMatchObject({ restored: ['d.csv'] });
    expect(await readFile(join(fresh, 'd.csv'), 'utf8')).toBe('n,c,label\n1,a,x\n2,b,y\n,a,x\n4,a,y\n');
  });

  it('report: quality JSON on stdout, HTML file when asked', async () => {
    await writeFile(join(dir, 'q.csv'), 'n,label\n1,x\n,y\n3,x\n');
    const r = json();
    await dataReport({ file: 'q.csv', html: 'q.html', target: 'label' }, ctx, r.out);
    const report = r.read();
    expect(report.columns.find((c: { name: string }) => c.name === 'n')).toMatchObject({ missing: 1 });
    expect(await readFile(join(dir, 'q.html'), 'utf8')).toContain('<html');
  });

  it('human output is a table', async () => {
    const stdout = bufferSink();
    await dataLs({}, ctx, createOutput({ stdout, stderr: bufferSink() }));
    expect(stdout.text).toMatch(/^NAME\s+VERSIONS\s+LATEST\s+CREATED\nd\.csv\s+1\s+[0-9a-f]{12}/);
  });
});
