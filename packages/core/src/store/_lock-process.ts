import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who this process is, as far as a lock file can tell: enough to recognise it, and its host, later. */
export interface ProcessIdentity {
  pid: number;
  hostname: string;
  /** Linux: the kernel's boot id; differs after a reboot and between machines. */
  bootId?: string;
  /** Linux: the PID namespace (`pid:[4026531836]`); a pid means something only inside its namespace. */
  pidNamespace?: string;
  /** Linux: clock ticks since boot at which the process started; with the pid, names one process for good. */
  startTicks?: number;
}

/** What this host can tell about a pid. */
export type ProcessState =
  | { kind: 'running'; startTicks: number }
  | { kind: 'exited' } // gone, or a zombie waiting to be reaped
  | { kind: 'alive' }; // exists, no more known (no /proc: macOS, Windows)

function readOptional(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

// Fields after the command name in /proc/<pid>/stat (which may itself hold spaces and parentheses): [0] is the
// state (field 3), [19] the start time (field 22).
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

let self: Omit<ProcessIdentity, 'hostname'> | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  if (self === undefined) {
    const startTicks = readOptional(() => statFields('self')[19] ?? '');
    self = {
      pid: process.pid,
      bootId: readOptional(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
      pidNamespace: readOptional(() => readlinkSync('/proc/self/ns/pid')),
      startTicks: startTicks === undefined ? undefined : Number(startTicks),
    };
  }
  return { ...self, hostname: hostname() };
}

/** The state of `pid` in this process's PID namespace. */
export function processState(pid: number): ProcessState {
  if (currentProcess().startTicks !== undefined) {
    try {
      const fields = statFields(pid);
      if (fields[0] === 'Z' || fields[0] === 'X') return { kind: 'exited' };
      return { kind: 'running', startTicks: Number(fields[19]) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') {
        return { kind: 'exited' };
      }
      // hidden by hidepid and the like: fall back to signal 0
    }
  }
  try {
    process.kill(pid, 0);
    return { kind: 'alive' };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? { kind: 'alive' } : { kind: 'exited' };
  }
}

// /proc reports start times in USER_HZ, which is 100 on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** Wall-clock time (ms) at which a process that started `startTicks` after boot started, when /proc tells. */
export function startedAtMs(startTicks: number): number | undefined {
  const btime = readOptional(() => readFileSync('/proc/stat', 'utf8').match(/^btime (\d+)$/m)?.[1] ?? '');
  return btime === undefined ? undefined : Number(btime) * 1000 + (startTicks * 1000) / TICKS_PER_SECOND;
}
