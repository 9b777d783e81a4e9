import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { MlopsError } from '../errors.js';

/** Who holds an embedded store: written as JSON into the lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes an exclusive lock file (`O_EXCL`) for an embedded store. A lock left by a dead process on this host is
 * taken over; a live holder (including this process) gives `STORE_LOCKED` naming it. Returns a release function.
 */
export function acquireLock(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const me: LockHolder = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (readHolder(path)?.pid === process.pid) unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      const stale = holder !== undefined && holder.hostname === hostname() && !isAlive(holder.pid);
      if (stale && attempt === 0) {
        try {
          unlinkSync(path);
        } catch {
          // someone else took it over first; the next attempt tells
        }
        continue;
      }
      const who = holder
        ? `process ${holder.pid} on ${holder.hostname} (since ${holder.since})`
        : `another process (lock file ${path})`;
      throw new MlopsError('STORE_LOCKED', {
        message: `${what} is already open in ${who}. An embedded store has one owner: stop that process, or use postgres://… (or the running server over HTTP) to share state between processes`,
        details: { lockFile: path, holder: holder ?? null },
      });
    }
  }
  /* c8 ignore next */
  throw new MlopsError('STORE_LOCKED', `${what} is locked (${path})`);
}
