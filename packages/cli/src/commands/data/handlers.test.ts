import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FsObjectStore } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import { dataAdd, dataLs, dataPull, dataPush, dataReport, dataStatus, pointerOf } from './handlers.js';

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
  }, 120_000); // the first test opens the in-memory PGlite store: seconds, much more on a loaded machine

  it('status --verify reports damaged stored objects (exit 7); pull repairs them from the remote', async () => {
    await writeFile(join(dir, 'v.csv'), 'k\n1\n2\n');
    const a = json();
    await dataAdd({ path: 'v.csv' }, ctx, a.out);
    const { digest } = a.read();
    const remote = join(dir, 'remote-v');
    await dataPush({ target: 'v.csv', remote }, ctx, json().out);
    const object = (ctx.objects() as FsObjectStore).pathOf(digest); // the default --objects is a folder
    await chmod(object, 0o644);
    await writeFile(object, Buffer.alloc((await stat(object)).size, 0x58));

    const quick = json();
    expect(await dataStatus({ target: 'v.csv', remote }, ctx, quick.out)).toBe(0);
    expect(quick.read()).toMatchObject({ local: true, remote: true, corrupted: [] });

    const stdout = bufferSink();
    const human = createOutput({ stdout, stderr: bufferSink() });
    expect(await dataStatus({ target: 'v.csv', remote, verify: true }, ctx, human)).toBe(7);
    expect(stdout.text).toContain('objects (verified): local incomplete (1 damaged), remote complete');
    expect(stdout.text).toMatch(/v\.csv\s+unchanged\s+DAMAGED\s+yes/);
    expect(stdout.text).toContain('repair: mlops data add');

    // The working file is damaged too: pull restores it from the remote and replaces the cached copy.
    await writeFile(join(dir, 'v.csv'), 'k\n9\n9\n');
    const pulled = json();
    await dataPull({ target: 'v.csv', remote }, ctx, pulled.out);
    expect(pulled.read()).toMatchObject({ restored: ['v.csv'], repaired: [digest] });
    expect(await readFile(join(dir, 'v.csv'), 'utf8')).toBe('k\n1\n2\n');
    const after = json();
    expect(await dataStatus({ target: 'v.csv', remote, verify: true }, ctx, after.out)).toBe(0);
    expect(after.read()).toMatchObject({ state: 'unchanged', local: true, remote: true, corrupted: [] });
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
