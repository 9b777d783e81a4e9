// Issue 19, fault 3: lock files left behind by processes that are gone must not lock an embedded store forever, and
// a lock whose holder may be alive must never be taken. These tests write the lock file another process would have
// left and call the lock directly (opening PGlite would add seconds and prove nothing more).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isMlopsError } from '@mlops/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/store/lock.js';
import { deadPid, lockRecord, startTicksOf, writeLockFile } from './fixtures/lock-files.js';

const dir = mkdtempSync(join(tmpdir(), 'mlops-lock-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(dir, `db${++n}.lock`);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Takes the lock, checks that the file now names this process, releases it, and checks the file is gone. */
async function takesOver(path: string, options?: Parameters<typeof acquireLock>[2]): Promise<void> {
  const release = await acquireLock(path, 'Store test', options);
  expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
  release();
  expect(existsSync(path)).toBe(false);
}

async function lockedError(path: string, options?: Parameters<typeof acquireLock>[2]) {
  const err = await Promise.resolve()
    .then(() => acquireLock(path, 'Store test', options))
    .then(
      (release) => {
        release();
        return undefined;
      },
      (e: unknown) => e,
    );
  expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
  return err as Error & { details: { holder: { pid: number; hostname: string } | null } };
}

const longAgo = new Date('2020-01-01T00:00:00Z');

describe('store lock: files left by processes that are gone', () => {
  it('takes over a lock naming PID 1 written by an earlier process that had PID 1 (container restart)', async () => {
    const path = lockPath();
    writeLockFile(path, lockRecord(1, { startTicks: startTicksOf(1) + 12_345 }));
    await takesOver(path);
  });

  it('takes over a lock naming PID 1 in the old format when PID 1 started after the lock was written', async () => {
    const path = lockPath();
    writeLockFile(path, { pid: 1, hostname: hostname(), since: longAgo.toISOString() }, longAgo);
    await takesOver(path);
  });

  it("takes over a lock naming this process's PID written by an earlier process", async () => {
    const path = lockPath();
    writeLockFile(path, lockRecord(process.pid, { startTicks: startTicksOf(process.pid) - 1 }));
    await takesOver(path);
    writeLockFile(path, { pid: process.pid, hostname: hostname(), since: longAgo.toISOString() }, longAgo);
    await takesOver(path);
  });

  it('takes over a lock whose holder is gone', async () => {
    const path = lockPath();
    writeLockFile(path, lockRecord(process.pid, { pid: deadPid() }));
    await takesOver(path);
  });

  it('takes over a stale lock although a contender died in the middle of taking it over', async () => {
    const path = lockPath();
    const stale = lockRecord(process.pid, { pid: deadPid() });
    writeLockFile(path, stale);
    // what a contender killed between winning the takeover and renaming its lock into place leaves behind
    const marker = `${path}.takeover-${stale.token}`;
    writeLockFile(marker, lockRecord(process.pid, { pid: deadPid() }));
    await takesOver(path);
    expect(readdirSync(dir).filter((name) => name.startsWith(basename(path)))).toEqual([]);
  });

  // Each of these waits out the 2 s grace for an unreadable file: they run concurrently (own files, no children).
  it.concurrent.each([
    ['empty', ''],
    ['truncated', '{"pid": 12'],
    ['not JSON', '\u0000\u0000garbage'],
    ['JSON of the wrong shape', '{"pid":"one","hostname":7}'],
  ])('takes over a lock file that is %s, once it has stayed so for a moment', async (_name, content) => {
    const path = lockPath();
    writeLockFile(path, content);
    await takesOver(path);
  });
});

describe('store lock: holders that may be alive', () => {
  it('gives STORE_LOCKED naming this process while this process holds it', async () => {
    const path = lockPath();
    const release = await acquireLock(path, 'Store test');
    try {
      const err = await lockedError(path);
      expect(err.message).toContain(`process ${process.pid} on ${hostname()}`);
      expect(err.details.holder?.pid).toBe(process.pid);
    } finally {
      release();
    }
    await takesOver(path);
  });

  it('never takes over from a live process on this host, however old its heartbeat', async () => {
    const path = lockPath();
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(holder);
    const pid = holder.pid!;
    writeLockFile(path, lockRecord(pid), longAgo);
    const err = await lockedError(path, { staleMs: 100 });
    expect(err.message).toContain(`process ${pid} on ${hostname()}`);
  });

  it('gives STORE_LOCKED for a lock from another host whose heartbeat is younger than the timeout', async () => {
    const path = lockPath();
    writeLockFile(path, lockRecord(4242, { hostname: 'node-b', startTicks: 1 }), new Date(Date.now() - 20_000));
    const err = await lockedError(path);
    expect(err.message).toContain('process 4242 on node-b');
    expect(err.message).toMatch(/30 s/);
    expect(err.details.holder?.hostname).toBe('node-b');
  });

  it('takes over a lock from another host once its heartbeat is older than the timeout', async () => {
    const path = lockPath();
    const record = lockRecord(4242, { hostname: 'node-b', startTicks: 1, heartbeatMs: 100 });
    writeLockFile(path, record, new Date(Date.now() - 31_000));
    await takesOver(path);
    // the old format has no heartbeat: the same timeout applies to the file's age
    writeLockFile(path, { pid: 4242, hostname: 'node-b', since: longAgo.toISOString() }, longAgo);
    await takesOver(path, { staleMs: 600 });
  });

  it('does not take over from another host whose clock is behind as long as its heartbeat goes on', async () => {
    const path = lockPath();
    const record = lockRecord(4242, { hostname: 'node-b', startTicks: 1, heartbeatMs: 50 });
    writeLockFile(path, record, new Date(Date.now() - 60_000));
    // the holder's clock is a minute behind ours: every heartbeat looks a minute old, but it keeps coming
    const beat = setInterval(() => {
      const skewed = new Date(Date.now() - 60_000);
      utimesSync(path, skewed, skewed);
    }, 20);
    try {
      const err = await lockedError(path);
      expect(err.message).toContain('process 4242 on node-b');
    } finally {
      clearInterval(beat);
    }
  });

  it('treats a lock from another PID namespace on this host (a container sharing the volume) as another host', async () => {
    const path = lockPath();
    // PID 1 of another container is not our PID 1: its start time tells nothing, so only the heartbeat counts
    writeLockFile(path, lockRecord(1, { startTicks: 7, pidNamespace: 'pid:[1]' }));
    const err = await lockedError(path);
    expect(err.message).toContain(`process 1 on ${hostname()}`);
  });
});
