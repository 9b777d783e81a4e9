// Issue 19, fault 9: writers killed mid-put leave `<objects>/tmp/*.partial` files behind (3.8 GB after 28 kills),
// and only garbage collection removed them. The object store now removes abandoned temp files older than a threshold
// (by mtime; one hour by default) when it is first used, and never a live writer's, in this process or another.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createStore, fsObjectStore } from '@mlops/core';
import { datasetStatus, pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mlops-temp-cleanup-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const objectsDir = () => join(root, `objects-${n++}`);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
const tempNames = (dir: string) => readdirSync(join(dir, 'tmp')).sort();

/** Starts a writer process; resolves once its put has a temp file, with a way to finish the write. */
async function startWriter(dir: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/datasets-writer.ts'), dir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'writing') throw new Error(`unexpected writer output: ${String(first.value)}`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid as number,
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
    finish: async () => {
      child.stdin.write('finish\n');
      const out = await lines.next();
      await exited;
      return JSON.parse(String(out.value)) as { digest: string; size: number };
    },
  };
}

describe('abandoned temp files of the object store', () => {
  it('are removed when the store is first used if older than an hour; fresh ones and live writers stay', async () => {
    const dir = objectsDir();
    // A writer killed mid-put, long ago: its temp file stays behind.
    const killed = await startWriter(dir);
    expect((await killed.kill()).signal).toBe('SIGKILL');
    const [leftover] = tempNames(dir);
    expect(leftover).toMatch(new RegExp(`^${killed.pid}-.*\\.partial$`));
    utimesSync(join(dir, 'tmp', leftover as string), hoursAgo(2), hoursAgo(2));
    // Another leftover from long ago, and a recent one (maybe a writer on another machine sharing the folder).
    writeFileSync(join(dir, 'tmp', 'old.partial'), Buffer.alloc(4096));
    utimesSync(join(dir, 'tmp', 'old.partial'), hoursAgo(3), hoursAgo(3));
    writeFileSync(join(dir, 'tmp', 'fresh.partial'), 'recent');
    // A live writer in another process, mid-put.
    const live = await startWriter(dir);
    const liveTemp = tempNames(dir).find((f) => f.startsWith(`${live.pid}-`));
    expect(liveTemp).toBeDefined();

    // Opening the store (its first operation) sweeps the abandoned ones.
    const objects = fsObjectStore({ dir });
    expect(await objects.has(`sha256:${'0'.repeat(64)}`)).toBe(false);
    expect(tempNames(dir)).toEqual(['fresh.partial', liveTemp].sort());

    // The live writer finishes its put untouched, and the object is readable.
    const res = await live.finish();
    expect(res.size).toBe(2 << 20);
    expect((await objects.readBytes(res.digest)).length).toBe(2 << 20);
    expect(tempNames(dir)).toEqual(['fresh.partial']);
  }, 60_000);

  it('takes a configurable threshold, or none', async () => {
    const dir = objectsDir();
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'tmp', 'ten-minutes.partial'), 'x');
    utimesSync(join(dir, 'tmp', 'ten-minutes.partial'), hoursAgo(1 / 6), hoursAgo(1 / 6));
    writeFileSync(join(dir, 'tmp', 'a-day.partial'), 'x');
    utimesSync(join(dir, 'tmp', 'a-day.partial'), hoursAgo(24), hoursAgo(24));

    // Off: nothing is removed on open (garbage collection still removes them).
    const off = fsObjectStore({ dir, cleanTempOlderThanMs: false });
    await off.put('a');
    expect(tempNames(dir)).toEqual(['a-day.partial', 'ten-minutes.partial']);

    // Default (one hour): only the day-old one.
    const byDefault = fsObjectStore({ dir });
    await byDefault.list()[Symbol.asyncIterator]().next();
    expect(tempNames(dir)).toEqual(['ten-minutes.partial']);

    // Five minutes: the ten-minute-old one too.
    const short = fsObjectStore({ dir, cleanTempOlderThanMs: 5 * 60_000 });
    await short.stat(`sha256:${'1'.repeat(64)}`);
    expect(tempNames(dir)).toEqual([]);
  });

  it('never removes the temp file of a put in progress in this process, whatever the threshold', async () => {
    const dir = objectsDir();
    const writer = fsObjectStore({ dir });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const writing = new Promise<void>((r) => {
      started = r;
    });
    const put = writer.put(
      (async function* () {
        yield Buffer.from('first half, ');
        started();
        await gate;
        yield Buffer.from('second half');
      })(),
    );
    await writing;
    const [temp] = tempNames(dir);
    expect(temp).toBeDefined();
    utimesSync(join(dir, 'tmp', temp as string), hoursAgo(5), hoursAgo(5));
    // Another handle on the same folder opens and sweeps; an explicit clean with no grace at all runs too.
    const other = fsObjectStore({ dir });
    await other.has(`sha256:${'2'.repeat(64)}`);
    expect(await other.cleanTemp({ olderThanMs: 0 })).toEqual({ removed: [], bytes: 0 });
    expect(tempNames(dir)).toEqual([temp]);
    release();
    const res = await put;
    expect((await other.readBytes(res.digest)).toString()).toBe('first half, second half');
  });
});

describe('a folder the object store shares with other files', () => {
  it('the sweep removes only its own leftovers (tmp/*.partial, packs/pack-*.pack), never other old files', async () => {
    // e.g. `--objects .` or a home folder: its tmp/ and packs/ hold files the store never wrote.
    const dir = objectsDir();
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    mkdirSync(join(dir, 'packs'), { recursive: true });
    const old = (path: string, body: string) => {
      writeFileSync(path, body);
      utimesSync(path, hoursAgo(48), hoursAgo(48));
    };
    old(join(dir, 'tmp', 'notes.txt'), 'the user keeps notes here');
    old(join(dir, 'tmp', 'abandoned.partial'), 'left by a killed put');
    old(join(dir, 'packs', 'family.pack'), 'a backpacking list, not a pack of objects');
    old(join(dir, 'packs', 'pack-1700000000000-0123456789abcdef.pack'), 'a pack whose index was never written');

    const objects = fsObjectStore({ dir });
    await objects.has(`sha256:${'3'.repeat(64)}`);
    expect(tempNames(dir)).toEqual(['notes.txt']);
    expect(readdirSync(join(dir, 'packs'))).toEqual(['family.pack']);
    expect(await objects.cleanTemp({ olderThanMs: 0 })).toEqual({ removed: [], bytes: 0 });
  });
});

describe('temp files of an interrupted pull in the working copy', () => {
  it('are never versioned or reported as added, and the next pull removes those older than an hour', async () => {
    const dir = join(root, `pull-${n++}`);
    const data = join(dir, 'corpus');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'a.txt'), 'alpha');
    writeFileSync(join(data, 'b.txt'), 'bravo');
    const store = await createStore('memory://');
    try {
      const objects = fsObjectStore({ dir: join(dir, 'objects') });
      const remote = fsObjectStore({ dir: join(dir, 'remote') });
      const v = await versionDataset({ path: data, store, objects });
      await pushDataset({ pointer: v.pointerPath, objects, remote });
      // What a pull killed while restoring a.txt leaves beside it (restoreFile's temp name), long ago and just now.
      const old = 'a.txt.0b5e1f8c-3a41-4c4e-9d1e-6f1f2a3b4c5d.mlops-tmp';
      const fresh = 'b.txt.7c9d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f.mlops-tmp';
      writeFileSync(join(data, old), 'alp');
      utimesSync(join(data, old), hoursAgo(2), hoursAgo(2));
      writeFileSync(join(data, fresh), 'bra');

      const st = await datasetStatus({ pointer: v.pointerPath, objects });
      expect(st.state).toBe('unchanged');
      expect(st.files.map((f) => f.path)).toEqual(['corpus/a.txt', 'corpus/b.txt']);
      const again = await versionDataset({ path: data, store, objects });
      expect(again).toMatchObject({ version: v.version, created: false });

      rmSync(join(data, 'a.txt'));
      const pulled = await pullDataset({ pointer: v.pointerPath, remote, objects });
      expect(pulled.restored).toEqual(['corpus/a.txt']);
      expect(readdirSync(data).sort()).toEqual(['a.txt', 'b.txt', fresh]);
    } finally {
      await store.close();
    }
  });
});
