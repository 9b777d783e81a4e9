import type { ProgressStream } from '@mlops/core';

/** A writable text stream: `process.stdout`, `process.stderr` or a buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Where a command writes. With `json`, stdout carries exactly one JSON document (the command's result) and
 * everything meant for humans goes to stderr; without it, stdout carries the human-readable text.
 */
export interface Output {
  /** True when `--json` was given. */
  readonly json: boolean;
  /** Writes the command's result: `value` as one JSON document with `--json`, else `text`. */
  result(value: unknown, text: string | (() => string)): void;
  /** A note for humans on stderr (warnings, hints); silent in neither mode. */
  note(message: string): void;
  /** Where progress bars and JSON progress lines go (stderr). */
  readonly progress: ProgressStream;
}

/** Options of {@link createOutput}. */
export interface OutputOptions {
  /**
   * Machine-readable results.
   * @default false
   */
  json?: boolean;
  /**
   * Standard output.
   * @default process.stdout
   */
  stdout?: TextSink;
  /**
   * Standard error (notes and progress).
   * @default process.stderr
   */
  stderr?: TextSink;
}

/** Serialises a result for `--json`: dates as ISO strings, bigints as numbers, typed arrays as arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return Number(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    2,
  );
}

/** Creates the {@link Output} of one command invocation. */
export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const json = options.json ?? false;
  return {
    json,
    result(value, text) {
      if (json) {
        stdout.write(`${toJson(value)}\n`);
        return;
      }
      const s = typeof text === 'function' ? text() : text;
      if (s !== '') stdout.write(s.endsWith('\n') ? s : `${s}\n`);
    },
    note(message) {
      stderr.write(`${message}\n`);
    },
    progress: stderr,
  };
}

/** A text sink that keeps what was written, for tests. */
export interface BufferSink extends TextSink {
  /** Everything written so far. */
  readonly text: string;
}

/** Creates a {@link BufferSink}. */
export function bufferSink(): BufferSink {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

/** Renders rows as an aligned text table with a header; `-` for empty cells. */
export function formatTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
