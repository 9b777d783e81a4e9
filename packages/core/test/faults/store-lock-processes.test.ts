// Issue 19, fault 3, with real processes: a holder killed with SIGKILL never leaves a permanent lock (also when it
// lingers as a zombie), and a live holder keeps its lock while PGlite blocks its event loop for longer than the
// heartbeat timeout, on this host and from another one.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createStore, isMlopsError } from '@mlops/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/store/lock.js';
import { stateOf } from './fixtures/lock-files.js';

const HOLDER = join(import.meta.dirname, 'fixtures/lock-holder.ts');
const dir = mkdtempSync(join(tmpdir(), 'mlops-lock-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

type Message = Record<string, unknown> & { pid: number };

/** Spawns a command whose stdout carries JSON lines; `next(key)` resolves with the next message that has `key`. */
function start(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    messages.push(JSON.parse(line));
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const next = async (key: string): Promise<Message> => {
    for (;;) {
      const i = messages.findIndex((m) => key in m);
      if (i >= 0) return messages.splice(i, 1)[0]!;
      const woke = new Promise<void>((resolve) => waiters.push(resolve));
      if ((await Promise.race([woke.then(() => 'message'), exited.then(() => 'exit')])) === 'exit') {
        const late = messages.findIndex((m) => key in m);
        if (late >= 0) return messages.splice(late, 1)[0]!;
        throw new Error(`child exited before sending "${key}"`);
      }
    }
  };
  return { child, next };
}

const holderArgs = (mode: string, dataDir: string, blockSeconds = 4) => [
  '--import',
  'tsx',
  HOLDER,
  mode,
  dataDir,
  String(blockSeconds),
];

describe('store lock: a holder killed with SIGKILL', () => {
  it('leaves a lock that the next opener takes over, with the rows it committed', async () => {
    const dataDir = join(dir, 'killed');
    const holder = start(process.execPath, holderArgs('store', dataDir));
    const { pid } = await holder.next('ready');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => holder.child.once('exit', r));
    const store = await createStore(`pglite://${dataDir}`);
    try {
      expect(await store.query('SELECT pid FROM held')).toEqual([{ pid }]);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('leaves a lock that the next opener takes over even while the dead holder lingers as a zombie', async () => {
    const dataDir = join(dir, 'zombie');
    // `exec sleep` replaces the shell, so the holder's parent never reaps it: after SIGKILL it stays a zombie (as
    // under a container entrypoint that does not reap), and kill(pid, 0) still succeeds
    const node = JSON.stringify(process.execPath);
    const script = `${node} --import tsx ${JSON.stringify(HOLDER)} store ${JSON.stringify(dataDir)} & exec sleep 120`;
    const parent = start('sh', ['-c', script]);
    const { pid } = await parent.next('ready');
    process.kill(pid, 'SIGKILL');
    while (stateOf(pid) !== 'Z') await new Promise((r) => setTimeout(r, 20));
    const store = await createStore(`pglite://${dataDir}`);
    try {
      expect(await store.query('SELECT pid FROM held')).toEqual([{ pid }]);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('store lock: a live holder blocked in a long query', () => {
  /** Tries to take the lock every 100 ms until the holder reports the end of its blocking query. */
  async function pollWhileBlocked(holder: ReturnType<typeof start>, path: string, staleMs: number) {
    holder.child.stdin!.write('block\n');
    await holder.next('blocking');
    let done: Message | undefined;
    void holder.next('done').then(
      (m) => {
        done = m;
      },
      () => {
        done = { pid: 0, maxGapMs: Number.NaN }; // the holder died: the assertions below say how
      },
    );
    const errors: unknown[] = [];
    let takenOver = false;
    while (!done) {
      try {
        const release = await acquireLock(path, 'Store test', { staleMs });
        release();
        takenOver = true;
      } catch (err) {
        errors.push(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { takenOver, errors, maxGapMs: done.maxGapMs as number };
  }

  it('on this host: every other opener gets STORE_LOCKED naming it during a 2 s migration (4x the timeout)', async () => {
    const dataDir = join(dir, 'busy-local');
    // a holder on this host is judged by its pid, never by its heartbeat: 4x the 500 ms timeout shows it
    const holder = start(process.execPath, holderArgs('store', dataDir, 2));
    const { pid } = await holder.next('ready');
    const result = await pollWhileBlocked(holder, `${dataDir}.lock`, 500);
    expect(result.maxGapMs).toBeGreaterThanOrEqual(1_500); // the holder's event loop really was blocked
    expect(result.takenOver).toBe(false);
    expect(result.errors.length).toBeGreaterThanOrEqual(3);
    for (const err of result.errors) {
      expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
      expect((err as Error).message).toContain(`process ${pid} on `);
    }
    const viaStore = await createStore(`pglite://${dataDir}`).catch((e: unknown) => e);
    expect(isMlopsError(viaStore, 'STORE_LOCKED')).toBe(true);
  }, 120_000);

  it('from another host: its heartbeat (off the main thread) keeps the lock through a query 4x the timeout', async () => {
    const dataDir = join(dir, 'busy-remote');
    const holder = start(process.execPath, holderArgs('remote', dataDir));
    const { pid } = await holder.next('ready');
    const result = await pollWhileBlocked(holder, `${dataDir}.lock`, 1_000);
    expect(result.maxGapMs).toBeGreaterThanOrEqual(3_500);
    expect(result.takenOver).toBe(false);
    expect(result.errors.length).toBeGreaterThanOrEqual(3);
    for (const err of result.errors) {
      expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
      expect((err as Error).message).toContain(`process ${pid} on node-b`);
    }
  }, 120_000);
});
