import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { startHeartbeat } from './_lock-heartbeat.js';
import { currentProcess, type ProcessIdentity, processState, startedAtMs } from './_lock-process.js';

/**
 * How long a lock from another host (or another PID namespace) may go without a heartbeat before it counts as
 * abandoned. A holder on the same host is judged by its pid and start time instead, and never times out.
 */
export const LOCK_STALE_MS = 30_000;

// An empty or unparsable lock file is taken over once it has stayed so this long (a writer that cannot create a
// file with its content in one step, as over a file system without hard links, leaves it empty for a moment).
const UNREADABLE_GRACE_MS = 2_000;
// Leftover temporary and takeover files older than this are removed by the next owner.
const LEFTOVER_MS = 60_000;
const MAX_ROUNDS = 20;
const MAX_TAKEOVER_DEPTH = 4;
const BUSY_WAIT_MS = 3_000;
const POLL_MS = 20;

/** Who holds an embedded store: written as JSON into the lock file. */
export interface LockHolder extends ProcessIdentity {
  since: string;
  /** Random id of this acquisition (32 hex digits); absent in locks written before heartbeats. */
  token?: string;
  /** How often the holder touches the lock file's mtime. */
  heartbeatMs?: number;
  /** The holder's {@link LockOptions.staleMs}; an opener waits for the longer of it and its own. */
  staleMs?: number;
}

const holderSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  since: z.string().catch(''),
  token: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  bootId: z.string().optional(),
  pidNamespace: z.string().optional(),
  startTicks: z.number().int().nonnegative().optional(),
  heartbeatMs: z.number().positive().optional(),
  staleMs: z.number().positive().optional(),
});

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /**
   * How long a holder on another host may go without a heartbeat before its lock is taken over.
   * @default LOCK_STALE_MS (30 s)
   */
  staleMs?: number;
  /**
   * How often the holder's heartbeat (a worker thread) touches the lock file.
   * @default staleMs / 6
   */
  heartbeatMs?: number;
  /** Called when the lock file stops naming this holder while it is held (taken over, removed). */
  onLost?: (why: string) => void;
}

// Tokens of the locks this process holds, by path: shared by every copy of this module loaded in the process.
const HELD_KEY = Symbol.for('mlops.store.locks');
const globals = globalThis as Record<symbol, unknown>;
if (!(globals[HELD_KEY] instanceof Map)) globals[HELD_KEY] = new Map<string, string>();
const held = globals[HELD_KEY] as Map<string, string>;

interface Snapshot {
  /** The holder's token, or a digest of the file for locks without one. */
  identity: string;
  mtimeMs: number;
  holder: LockHolder | undefined;
}

type Verdict =
  | { live: true; reason: string; heartbeatAgeMs?: number; staleMs?: number; note?: string }
  // stale, once the file has stayed the same for `confirmMs` more
  | { live: false; reason: string; confirmMs: number };

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

// Opens the file (which on NFS revalidates its attributes, close-to-open) and reads its content and mtime.
function inspect(path: string): Snapshot | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    const text = readFileSync(fd, 'utf8');
    const holder = parseHolder(text);
    const identity =
      holder?.token ??
      createHash('sha256')
        .update(`${stat.dev}:${stat.ino}:${stat.mtimeMs}:${stat.size}:${text}`)
        .digest('hex')
        .slice(0, 32);
    return { identity, mtimeMs: stat.mtimeMs, holder };
  } finally {
    closeSync(fd);
  }
}

const same = (a: Snapshot | undefined, b: Snapshot) => a?.identity === b.identity && a.mtimeMs === b.mtimeMs;

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

// Creates `target` with `content` only if it does not exist: a hard link from a complete temporary file, so no
// reader ever sees it half written; where hard links are not supported, an exclusive create.
function createExclusive(target: string, tmp: string, content: string): boolean {
  try {
    linkSync(tmp, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  }
  let fd: number;
  try {
    fd = openSync(target, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function sameHost(holder: LockHolder, me: ProcessIdentity): boolean {
  if (holder.hostname !== me.hostname) return false;
  if (holder.bootId && me.bootId && holder.bootId !== me.bootId) return false;
  return !(holder.pidNamespace && me.pidNamespace && holder.pidNamespace !== me.pidNamespace);
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Decides whether the holder of a lock may still be alive. On the same host (same hostname, kernel boot and PID
 * namespace) the holder's pid and start time answer, whatever its heartbeat; elsewhere only the heartbeat can.
 */
function judge(path: string, snap: Snapshot, me: ProcessIdentity, options: Required<LockOptions>): Verdict {
  const ageMs = Date.now() - snap.mtimeMs;
  const holder = snap.holder;
  if (holder === undefined) {
    return { live: false, reason: 'the lock file is empty or unreadable', confirmMs: UNREADABLE_GRACE_MS - ageMs };
  }
  const staleMs = Math.max(options.staleMs, holder.staleMs ?? 0);
  const byHeartbeat = (why: string): Verdict =>
    ageMs <= staleMs
      ? { live: true, reason: why, heartbeatAgeMs: Math.max(0, ageMs), staleMs }
      : {
          live: false,
          reason: `${why}, and its last heartbeat is ${seconds(ageMs)} old (limit ${seconds(staleMs)})`,
          // one more look after two heartbeats: a holder whose clock is behind ours still changes the mtime
          confirmMs: Math.min(staleMs, 2 * (holder.heartbeatMs ?? options.heartbeatMs)),
        };

  if (!sameHost(holder, me)) return byHeartbeat('the holder is on another host or in another PID namespace');
  if (holder.pid === me.pid) {
    if (holder.token !== undefined && held.get(path) === holder.token) return { live: true, reason: 'this process' };
    if (holder.token !== undefined && (holder.startTicks ?? me.startTicks) === me.startTicks) {
      // this very process, not through this module instance: another worker thread holds it
      return byHeartbeat('another thread of this process holds it');
    }
    return { live: false, reason: `an earlier process with this process's pid (${me.pid}) wrote it`, confirmMs: 0 };
  }
  const state = processState(holder.pid);
  switch (state.kind) {
    case 'exited':
      return { live: false, reason: `process ${holder.pid} has exited`, confirmMs: 0 };
    case 'running': {
      if (holder.startTicks !== undefined) {
        return holder.startTicks === state.startTicks
          ? { live: true, reason: 'the holder is running' }
          : { live: false, reason: `pid ${holder.pid} now belongs to another process`, confirmMs: 0 };
      }
      // an old-format lock: a process that started after the lock was written cannot have written it
      const startedAt = startedAtMs(state.startTicks);
      return startedAt !== undefined && startedAt > snap.mtimeMs + 2_000
        ? { live: false, reason: `pid ${holder.pid} now belongs to a process started after the lock`, confirmMs: 0 }
        : { live: true, reason: 'the holder is running' };
    }
    case 'alive':
      // without /proc a pid may have been reused: a holder that writes heartbeats must also keep them up
      return holder.token === undefined
        ? { live: true, reason: 'the holder is running' }
        : byHeartbeat(`process ${holder.pid} exists`);
  }
}

function lockedError(what: string, path: string, snap: Snapshot, verdict: Verdict & { live: true }): MlopsError {
  const holder = snap.holder!;
  let who = `process ${holder.pid} on ${holder.hostname} (since ${holder.since || 'an unknown time'})`;
  if (verdict.heartbeatAgeMs !== undefined && verdict.staleMs !== undefined) {
    who += `, whose last heartbeat was ${seconds(verdict.heartbeatAgeMs)} ago; its lock counts as abandoned after ${seconds(verdict.staleMs)} without one`;
  }
  if (verdict.note !== undefined) who += `, ${verdict.note}`;
  return new MlopsError('STORE_LOCKED', {
    message: `${what} is already open in ${who}. An embedded store has one owner: stop that process, or use postgres://… (or the running server over HTTP) to share state between processes`,
    details: {
      lockFile: path,
      holder,
      ...(verdict.heartbeatAgeMs === undefined
        ? {}
        : { heartbeatAgeMs: Math.round(verdict.heartbeatAgeMs), staleAfterMs: verdict.staleMs }),
    },
  });
}

function holderRecord(me: ProcessIdentity, options: Required<LockOptions>): LockHolder {
  return {
    pid: me.pid,
    hostname: me.hostname,
    since: new Date().toISOString(),
    token: randomBytes(16).toString('hex'),
    ...(me.bootId === undefined ? {} : { bootId: me.bootId }),
    ...(me.pidNamespace === undefined ? {} : { pidNamespace: me.pidNamespace }),
    ...(me.startTicks === undefined ? {} : { startTicks: me.startTicks }),
    heartbeatMs: options.heartbeatMs,
    staleMs: options.staleMs,
  };
}

interface Context {
  path: string;
  me: ProcessIdentity;
  options: Required<LockOptions>;
}

/**
 * Wins the exclusive right to replace the lock file (or takeover file) whose identity is `subject`: the file
 * `<lock>.takeover-<subject>`, created atomically. Every process that found the same stale file competes for the
 * same name, so at most one acts on it. A takeover file left by a contender that died is itself taken over, one
 * level down. Returns a release function, or undefined when another live contender holds the right.
 */
async function claimTakeover(ctx: Context, subject: string, depth: number): Promise<(() => void) | undefined> {
  const marker = `${ctx.path}.takeover-${subject}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = holderRecord(ctx.me, ctx.options);
    const content = JSON.stringify(record);
    const tmp = `${marker}.${record.token}.tmp`;
    writeFileSync(tmp, content, { flag: 'wx' });
    let created: boolean;
    try {
      created = createExclusive(marker, tmp, content);
    } finally {
      unlinkQuietly(tmp);
    }
    if (created) {
      return () => {
        if (inspect(marker)?.identity === record.token) unlinkQuietly(marker);
      };
    }
    const snap = inspect(marker);
    if (snap === undefined) continue;
    const verdict = judge(marker, snap, ctx.me, ctx.options);
    if (verdict.live) return undefined;
    if (verdict.confirmMs > 0) {
      await sleep(verdict.confirmMs);
      if (!same(inspect(marker), snap)) continue;
    }
    if (depth >= MAX_TAKEOVER_DEPTH) return undefined;
    const inner = await claimTakeover(ctx, snap.identity, depth + 1);
    if (inner === undefined) return undefined;
    if (!same(inspect(marker), snap)) {
      inner();
      continue;
    }
    // we now act for the dead contender: its takeover file stays until we are done, so nobody else can
    return () => {
      if (same(inspect(marker), snap)) unlinkQuietly(marker);
      inner();
    };
  }
  return undefined;
}

// Removes temporary and takeover files that contenders killed mid-way left behind, once they are old.
function removeLeftovers(path: string, token: string): void {
  const prefix = `${basename(path)}.`;
  const folder = dirname(path);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !(name.endsWith('.tmp') || name.includes('.takeover-'))) continue;
    if (name.includes(token)) continue;
    const file = join(folder, name);
    try {
      if (Date.now() - statSync(file).mtimeMs > LEFTOVER_MS) unlinkSync(file);
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Takes the lock of an embedded store, or throws `STORE_LOCKED` naming its holder. Returns the release function.
 *
 * - The lock file appears atomically with its content (a hard link from a complete temporary file), and a
 *   worker thread touches its mtime every `heartbeatMs`, even while the main thread is blocked.
 * - A lock whose holder is gone is taken over: on this host, when its pid has exited, is a zombie or now belongs
 *   to another process (start time from /proc); elsewhere, once its heartbeat is older than `staleMs`. An empty or
 *   corrupt lock file is taken over after a short grace.
 * - Takeover is atomic: the contenders for one stale file compete for one takeover file, and the winner renames a
 *   complete lock file over the stale one after checking that it has not changed.
 */
export async function acquireLock(path: string, what: string, options: LockOptions = {}): Promise<() => void> {
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const full: Required<LockOptions> = {
    staleMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(10, Math.floor(staleMs / 6)),
    onLost: options.onLost ?? (() => {}),
  };
  mkdirSync(dirname(path), { recursive: true });
  const ctx: Context = { path, me: currentProcess(), options: full };
  const record = holderRecord(ctx.me, full);
  const token = record.token!;
  const content = JSON.stringify(record);
  const tmp = `${path}.${token}.tmp`;
  writeFileSync(tmp, content, { flag: 'wx' });
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (createExclusive(path, tmp, content)) return own(ctx, what, token);
      const snap = inspect(path);
      if (snap === undefined) continue;
      // over NFS a retransmitted link can report EEXIST for the link it made
      if (snap.identity === token) return own(ctx, what, token);
      const verdict = judge(path, snap, ctx.me, full);
      if (verdict.live) throw lockedError(what, path, snap, verdict);
      if (verdict.confirmMs > 0) {
        await sleep(verdict.confirmMs);
        const again = inspect(path);
        if (!same(again, snap)) {
          if (again?.holder !== undefined && again.identity === snap.identity) {
            // its heartbeat goes on: the holder lives, and its clock runs behind ours
            const note = `whose heartbeat goes on although it looks ${seconds(Date.now() - again.mtimeMs)} old (its clock runs behind this host's)`;
            throw lockedError(what, path, again, { live: true, reason: 'heartbeat', note });
          }
          continue;
        }
      }
      const release = await claimTakeover(ctx, snap.identity, 0);
      if (release === undefined) {
        // another contender is replacing this file right now: see who ends up holding it
        const until = Date.now() + BUSY_WAIT_MS;
        while (Date.now() < until && same(inspect(path), snap)) await sleep(POLL_MS);
        continue;
      }
      try {
        const current = inspect(path);
        if (current === undefined) {
          if (createExclusive(path, tmp, content)) return own(ctx, what, token);
          continue;
        }
        if (!same(current, snap)) continue;
        renameSync(tmp, path);
        return own(ctx, what, token);
      } finally {
        release();
      }
    }
    throw new MlopsError('STORE_LOCKED', {
      message: `${what} could not be locked (${path}): other processes kept replacing its lock file`,
      details: { lockFile: path, holder: inspect(path)?.holder ?? null },
    });
  } finally {
    unlinkQuietly(tmp);
  }
}

function own(ctx: Context, what: string, token: string): () => void {
  const { path, options } = ctx;
  held.set(path, token);
  let released = false;
  const stopHeartbeat = startHeartbeat(path, token, options.heartbeatMs, (why) => {
    if (released) return;
    process.emitWarning(`${what}: its lock file ${path} ${why}; this process no longer owns the store`, {
      code: 'MLOPS_STORE_LOCK_LOST',
    });
    options.onLost(why);
  });
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    stopHeartbeat();
    if (held.get(path) === token) held.delete(path);
    if (inspect(path)?.holder?.token === token) unlinkQuietly(path);
  };
  process.on('exit', release);
  removeLeftovers(path, token);
  return release;
}
