/**
 * How download progress is shown: a live line on a TTY, JSON log lines otherwise, or nothing. The same type as
 * `@mlops/core`'s `ProgressMode`, declared here because this package depends on nothing of ours.
 */
export type ProgressMode = 'auto' | 'tty' | 'json' | 'silent';

/**
 * Minimal writable used for progress output (process.stderr by default). Assignable both ways with `@mlops/core`'s
 * `ProgressStream` (declared here because this package depends on nothing of ours), so one stream serves both.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressReporter {
  start(total: number | undefined): void;
  update(bytes: number, total: number | undefined): void;
  done(bytes: number): void;
  log(level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void;
}

const MB = 1024 * 1024;

/** Progress printer for one download: `\r`-updated line on a TTY, throttled JSON lines otherwise. */
export function createProgressReporter(opts: {
  mode: ProgressMode;
  label: string;
  url: string;
  stream?: ProgressStream;
}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const mode = opts.mode === 'auto' ? (stream.isTTY ? 'tty' : 'json') : opts.mode;
  let lastTty = 0;
  let lastJsonPct = -1;
  const json = (fields: Record<string, unknown>) =>
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), source: '@mlops/datasets', ...fields })}\n`);
  const fmt = (bytes: number, total: number | undefined) => {
    const pct = total ? ` ${((100 * bytes) / total).toFixed(0).padStart(3)}%` : '';
    const of = total ? ` / ${(total / MB).toFixed(1)} MB` : ' MB';
    return `downloading ${opts.label}${pct} ${(bytes / MB).toFixed(1)}${of}`;
  };
  return {
    start(total) {
      if (mode === 'json') json({ level: 'info', msg: 'download started', file: opts.label, url: opts.url, total });
      if (mode === 'tty') stream.write(`\r${fmt(0, total)}`);
    },
    update(bytes, total) {
      if (mode === 'tty') {
        const now = Date.now();
        if (now - lastTty < 100) return;
        lastTty = now;
        stream.write(`\r${fmt(bytes, total)}`);
      } else if (mode === 'json' && total) {
        // One line per 25 %, so logs stay short.
        const step = Math.floor((4 * bytes) / total);
        if (step > lastJsonPct && step < 4) {
          lastJsonPct = step;
          if (step > 0) json({ level: 'info', msg: 'download progress', file: opts.label, bytes, total });
        }
      }
    },
    done(bytes) {
      if (mode === 'tty') stream.write(`\r${fmt(bytes, bytes)}\n`);
      if (mode === 'json') json({ level: 'info', msg: 'download finished', file: opts.label, url: opts.url, bytes });
    },
    log(level, msg, fields = {}) {
      if (mode === 'silent') return;
      if (mode === 'json') json({ level, msg, file: opts.label, ...fields });
      else stream.write(`\n${level === 'warn' ? 'warning: ' : ''}${msg}\n`);
    },
  };
}
