// Issue 19, fault 3: 8 processes open an embedded store whose lock is stale, at the same moment, round after round.
// Each round exactly one of them must own the store (the others get STORE_LOCKED naming it) and every row an owner
// committed must be in the store at the end. The stale lock of each round is one a real crash leaves: the previous
// owner killed with SIGKILL, or a file naming a dead pid, PID 1 or a racer's own pid from an earlier process, an
// empty or corrupt file, an old-format lock, or a lock from another host whose heartbeat stopped.
// Only the owner of a round opens PGlite (about half a second on an existing store); the losers fail fast.
// One round per kind of stale lock by default (10 rounds, 3 of them after a real SIGKILL): each round is 7 losing
// contenders racing the winner through the takeover, checked on its own (one owner, every loser names it, its rows
// kept). Each kind twice (20 rounds) cost 7 s more of every `npm test`; when changing the lock, run more rounds with
// MLOPS_LOCK_RACE_ROUNDS=200.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createStore } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { deadPid, lockRecord, startTicksOf, writeLockFile } from './fixtures/lock-files.js';

const RACER = join(import.meta.dirname, 'fixtures/lock-racer.ts');
const RACERS = 8;
const ROWS = 25;
// How each round's lock went stale. `crash`: the previous round's owner was SIGKILLed while holding the store.
const KINDS = [
  'dead-pid',
  'crash',
  'pid-1',
  'own-pid',
  'crash',
  'empty',
  'corrupt',
  'crash',
  'old-format',
  'other-host',
] as const;
type Kind = (typeof KINDS)[number];
const ROUNDS = Number(process.env.MLOPS_LOCK_RACE_ROUNDS ?? KINDS.length);
const TIMEOUT_MS = Math.max(300_000, ROUNDS * 15_000);

const dir = mkdtempSync(join(tmpdir(), 'mlops-lock-race-'));
const dataDir = join(dir, 'db');
const lockFile = `${dataDir}.lock`;
const url = `pglite://${dataDir}`;
const racers: Racer[] = [];
afterAll(() => {
  for (const racer of racers) racer.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Reply = {
  pid: number;
  round?: number;
  ok?: boolean;
  code?: string;
  holderPid?: number | null;
  committed?: number;
};

interface Racer {
  child: ChildProcess;
  pid: number;
  send(cmd: Record<string, unknown>): void;
  next(match: (m: Reply) => boolean): Promise<Reply>;
}

async function spawnRacer(): Promise<Racer> {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies: Reply[] = [];
  const waiters: (() => void)[] = [];
  let exited = false;
  child.on('exit', () => {
    exited = true;
    for (const wake of waiters.splice(0)) wake();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    replies.push(JSON.parse(line));
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (match: (m: Reply) => boolean): Promise<Reply> => {
    for (;;) {
      const i = replies.findIndex(match);
      if (i >= 0) return replies.splice(i, 1)[0]!;
      if (exited) throw new Error(`racer ${child.pid} exited`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await next((m) => 'ready' in m);
  const racer: Racer = { child, pid: child.pid!, send: (cmd) => child.stdin!.write(`${JSON.stringify(cmd)}\n`), next };
  racers.push(racer);
  return racer;
}

const longAgo = new Date('2020-01-01T00:00:00Z');

function writeStaleLock(kind: Exclude<Kind, 'crash'>): void {
  const [content, mtime] = staleLock(kind);
  writeLockFile(lockFile, content, mtime);
}

function staleLock(kind: Exclude<Kind, 'crash'>): [string | Record<string, unknown>, Date?] {
  switch (kind) {
    case 'dead-pid':
      return [lockRecord(process.pid, { pid: deadPid() })];
    case 'pid-1':
      return [lockRecord(1, { startTicks: startTicksOf(1) + 12_345 })];
    case 'own-pid': {
      const pid = racers[0]!.pid; // that racer's own pid; a live process with another start time for the others
      return [lockRecord(pid, { startTicks: startTicksOf(pid) - 1 })];
    }
    case 'empty':
      return ['', longAgo];
    case 'corrupt':
      return ['{"pid": 4', longAgo];
    case 'old-format':
      return [{ pid: deadPid(), hostname: hostname(), since: longAgo.toISOString() }, longAgo];
    case 'other-host':
      return [
        lockRecord(process.pid, { pid: 4242, hostname: 'node-b', startTicks: 1, heartbeatMs: 100 }),
        new Date(Date.now() - 60_000),
      ];
  }
}

describe('store lock: 8 processes opening a stale store at once', { timeout: TIMEOUT_MS }, () => {
  it(`never gives two owners and loses no committed row over ${ROUNDS} rounds`, async () => {
    const started = performance.now();
    const setup = await createStore(url);
    await setup.exec('CREATE TABLE race_rows (round int NOT NULL, pid int NOT NULL, i int NOT NULL)');
    await setup.close();
    await Promise.all(Array.from({ length: RACERS }, () => spawnRacer()));

    const outcomes: { round: number; kind: Kind; owners: number; losersNamingOwner: number }[] = [];
    const committed = new Map<number, number>(); // round → rows its owners reported committed
    for (let round = 0; round < ROUNDS; round++) {
      const kind = KINDS[round % KINDS.length]!;
      if (kind !== 'crash') writeStaleLock(kind);
      const racing = [...racers];
      for (const racer of racing) racer.send({ cmd: 'open', round, rows: ROWS });
      const answers = await Promise.all(racing.map((r) => r.next((m) => m.round === round && 'ok' in m)));
      const owners = racing.filter((_, i) => answers[i]!.ok);
      for (const owner of owners) {
        const done = await owner.next((m) => m.round === round && 'committed' in m);
        committed.set(round, (committed.get(round) ?? 0) + done.committed!);
      }
      const ownerPid = owners[0]?.pid;
      const losersNamingOwner = answers.filter((a) => !a.ok && a.code === 'STORE_LOCKED' && a.holderPid === ownerPid);
      outcomes.push({ round, kind, owners: owners.length, losersNamingOwner: losersNamingOwner.length });

      const nextIsCrash = KINDS[(round + 1) % KINDS.length] === 'crash';
      for (const owner of owners) {
        if (nextIsCrash) {
          const gone = new Promise((r) => owner.child.once('exit', r));
          owner.send({ cmd: 'crash' });
          await gone;
          racers.splice(racers.indexOf(owner), 1);
        } else {
          owner.send({ cmd: 'close', round });
          await owner.next((m) => m.round === round && 'closed' in m);
        }
      }
      while (racers.length < RACERS) await spawnRacer();
    }

    rmSync(lockFile, { force: true }); // every owner has closed or died: a lock left by a round nobody won goes
    const check = await createStore(url);
    const rows = await check.query<{ round: number; n: number }>(
      'SELECT round, count(*)::int AS n FROM race_rows GROUP BY round ORDER BY round',
    );
    await check.close();
    console.info(
      `store lock race: ${ROUNDS} rounds x ${RACERS} processes in ${Math.round(performance.now() - started)} ms`,
    );

    const found = new Map(rows.map((r) => [r.round, r.n]));
    const lostRows = [...committed].reduce((sum, [round, n]) => sum + Math.max(0, n - (found.get(round) ?? 0)), 0);
    expect({ outcomes, lostRows }).toEqual({
      outcomes: outcomes.map(({ round, kind }) => ({ round, kind, owners: 1, losersNamingOwner: RACERS - 1 })),
      lostRows: 0,
    });
    expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(ROUNDS * ROWS);
  });
});
