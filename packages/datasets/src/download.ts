import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { unzipSync } from 'fflate';
import {
  createProgressReporter,
  type ProgressMode,
  type ProgressReporter,
  type ProgressStream,
} from './_internal/progress.js';
import { sha256Bytes } from './_internal/sha256.js';
import { DatasetError, isDatasetError } from './errors.js';
import type { DatasetFileSpec, RemoteSource } from './files.js';

/** Options for downloading a dataset file. */
export interface DownloadOptions {
  /**
   * Replaces the scheme, host (and any path prefix) of every pinned URL, keeping its path: with
   * `http://127.0.0.1:8080/mirror`, `https://archive.ics.uci.edu/ml/x` becomes `http://127.0.0.1:8080/mirror/ml/x`.
   * Used by tests and for internal mirrors.
   * @default process.env.MLOPS_DATASETS_BASE_URL, else the pinned URLs as they are
   */
  baseUrl?: string | undefined;
  /**
   * Idle timeout in milliseconds: an attempt fails when no response or no body bytes arrive for this long.
   * @default 30000
   */
  timeoutMs?: number | undefined;
  /**
   * Extra attempts per URL after a network error, timeout, HTTP 408/429 or 5xx (never after 404 or a bad checksum).
   * @default 3
   */
  retries?: number | undefined;
  /**
   * Delay before the first retry; doubles on each further retry (with ±25 % jitter).
   * @default 1000
   */
  retryDelayMs?: number | undefined;
  /**
   * Built-in progress output on stderr: a live line on a TTY, JSON log lines otherwise (`auto`), or none.
   * @default 'auto'
   */
  progress?: ProgressMode | undefined;
  /**
   * Where the built-in progress output goes.
   * @default process.stderr
   */
  progressStream?: ProgressStream | undefined;
  /**
   * Called as bytes arrive (`total` is the Content-Length when the server sends one).
   * @default undefined
   */
  onProgress?: ((bytes: number, total: number | undefined) => void) | undefined;
  /**
   * Cancels the download.
   * @default undefined
   */
  signal?: AbortSignal | undefined;
}

/** What {@link downloadDatasetFile} produced. */
export interface DownloadResult {
  /** Final path (the requested destination). */
  path: string;
  /** sha256 of the file written. */
  sha256: string;
  /** The URL that served it (after `baseUrl` rewriting). */
  url: string;
  /** When it was extracted from a zip: the archive's own sha256 and whether it matched the pinned one. */
  archive?: { sha256: string; matchedPin: boolean };
}

interface ResolvedDownloadOptions {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  onProgress: ((bytes: number, total: number | undefined) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** Applies `baseUrl` to a pinned URL (keeps the pinned path, so a mirror has the same layout). */
export function rewriteUrl(url: string, baseUrl: string | undefined): string {
  if (!baseUrl) return url;
  const u = new URL(url);
  return `${baseUrl.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}

/**
 * Downloads a dataset file to `dest`: streams into a temporary file beside it, verifies the sha256 (of the archive
 * and of the extracted entry when the source is a zip), then renames it into place, so `dest` is either absent or
 * complete and verified. Sources are tried in order; throws `DOWNLOAD_FAILED` or `CHECKSUM_MISMATCH` when none works.
 */
export async function downloadDatasetFile(
  spec: DatasetFileSpec,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const o: ResolvedDownloadOptions = {
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 1000,
    onProgress: options.onProgress,
    signal: options.signal,
  };
  const baseUrl = options.baseUrl ?? (process.env.MLOPS_DATASETS_BASE_URL || undefined);
  const label = `${spec.dataset}/${spec.file}`;
  if (spec.sources.length === 0) {
    throw new DatasetError('DOWNLOAD_FAILED', `${label} has no download source`, { details: { file: label } });
  }
  await mkdir(dirname(dest), { recursive: true });
  const failures: DatasetError[] = [];
  for (const source of spec.sources) {
    const url = rewriteUrl(source.url, baseUrl);
    const reporter = createProgressReporter({
      mode: options.progress ?? 'auto',
      label,
      url,
      ...(options.progressStream ? { stream: options.progressStream } : {}),
    });
    try {
      const got = await downloadFromSource(spec, source, url, dest, o, reporter);
      return { path: dest, url, ...got };
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const e = isDatasetError(err)
        ? err
        : new DatasetError('DOWNLOAD_FAILED', `${label}: ${String(err)}`, { cause: err, details: { url } });
      failures.push(e);
      if (spec.sources.length > 1) reporter.log('warn', bare(e), { url });
    }
  }
  const [first] = failures;
  if (failures.length === 1 && first) throw first;
  const code = failures.some((f) => f.code === 'CHECKSUM_MISMATCH') ? 'CHECKSUM_MISMATCH' : 'DOWNLOAD_FAILED';
  throw new DatasetError(
    code,
    `${label} could not be downloaded from any of its ${failures.length} sources:\n${failures.map((f) => `  - ${bare(f)}`).join('\n')}`,
    { details: { file: label, failures: failures.map((f) => ({ code: f.code, message: f.message, ...f.details })) } },
  );
}

/** A DatasetError message without its package prefix, for nesting inside another message. */
function bare(err: Error): string {
  return err.message.replace(/^\[@mlops\/datasets\] /, '');
}

function tempPath(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

function checksumError(what: string, url: string, expected: string, actual: string, dest: string): DatasetError {
  return new DatasetError(
    'CHECKSUM_MISMATCH',
    `checksum mismatch for ${what} downloaded from ${url}: expected sha256 ${expected}, got ${actual}. ` +
      'Nothing was kept. The remote copy changed or the transfer was corrupted: retry later, or put a verified copy ' +
      `where MLOPS_DATASETS_DIR points (it would be used instead of ${dest}).`,
    { details: { file: what, url, expected, actual } },
  );
}

async function downloadFromSource(
  spec: DatasetFileSpec,
  source: RemoteSource,
  url: string,
  dest: string,
  o: ResolvedDownloadOptions,
  reporter: ProgressReporter,
): Promise<{ sha256: string; archive?: { sha256: string; matchedPin: boolean } }> {
  const label = `${spec.dataset}/${spec.file}`;
  const tmp = tempPath(dest);
  try {
    const got = await fetchWithRetries(url, tmp, o, reporter);
    if (!source.archive) {
      if (spec.sha256 && got.sha256 !== spec.sha256) throw checksumError(label, url, spec.sha256, got.sha256, dest);
      await rename(tmp, dest);
      return { sha256: got.sha256 };
    }
    const archiveName = decodeURIComponent(basename(new URL(url).pathname));
    const matchedPin = got.sha256 === source.archive.sha256;
    if (!matchedPin) {
      if (source.archive.pinnedBy !== 'third-party') {
        throw checksumError(`${archiveName} (archive of ${label})`, url, source.archive.sha256, got.sha256, dest);
      }
      // A digest pinned by a third party may simply be wrong: say so, record the archive's own digest, and rely on
      // the checks of the extracted entry.
      reporter.log(
        'warn',
        `${archiveName} from ${url} has sha256 ${got.sha256}, not the third-party pin ${source.archive.sha256}; ` +
          `going on, ${label} is checked after extraction`,
        { url, archiveSha256: got.sha256, pinned: source.archive.sha256 },
      );
    }
    const entryName = source.archive.entry;
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(await readFile(tmp), {
        filter: (f) => basename(f.name) === entryName && !f.name.startsWith('__MACOSX/'),
      });
    } catch (err) {
      throw new DatasetError('DOWNLOAD_FAILED', `could not read the zip archive ${archiveName} from ${url}: ${err}`, {
        cause: err,
        details: { url },
      });
    }
    const bytes = Object.values(entries)[0];
    if (!bytes) {
      throw new DatasetError('DOWNLOAD_FAILED', `the archive ${archiveName} from ${url} has no entry ${entryName}`, {
        details: { url, entry: entryName },
      });
    }
    const sha256 = sha256Bytes(bytes);
    if (spec.sha256 && sha256 !== spec.sha256) {
      throw checksumError(`${label} (extracted from ${archiveName})`, url, spec.sha256, sha256, dest);
    }
    await writeFile(tmp, bytes);
    await rename(tmp, dest);
    return { sha256, archive: { sha256: got.sha256, matchedPin } };
  } finally {
    await rm(tmp, { force: true });
  }
}

async function fetchWithRetries(
  url: string,
  tmp: string,
  o: ResolvedDownloadOptions,
  reporter: ProgressReporter,
): Promise<{ sha256: string; bytes: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(url, tmp, o, reporter);
    } catch (err) {
      await rm(tmp, { force: true });
      const retryable = isDatasetError(err) && err.details?.retryable === true;
      if (!retryable || attempt >= o.retries || o.signal?.aborted) {
        if (isDatasetError(err) && retryable) {
          throw new DatasetError('DOWNLOAD_FAILED', `${bare(err)} (after ${attempt + 1} attempts)`, {
            cause: err.cause,
            details: { ...err.details, attempts: attempt + 1 },
          });
        }
        throw err;
      }
      const delay = Math.round(o.retryDelayMs * 2 ** attempt * (0.75 + Math.random() * 0.5));
      reporter.log('warn', `${bare(err as Error)}; retrying in ${delay} ms`, { url, attempt: attempt + 1 });
      await sleep(delay, undefined, o.signal ? { signal: o.signal } : {});
    }
  }
}

function failure(
  url: string,
  message: string,
  retryable: boolean,
  cause?: unknown,
  extra: Record<string, unknown> = {},
) {
  return new DatasetError('DOWNLOAD_FAILED', `download of ${url} failed: ${message}`, {
    cause,
    details: { url, retryable, ...extra },
  });
}

async function fetchOnce(
  url: string,
  tmp: string,
  o: ResolvedDownloadOptions,
  reporter: ProgressReporter,
): Promise<{ sha256: string; bytes: number }> {
  const ac = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, o.timeoutMs);
  };
  const onAbort = () => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  arm();
  try {
    // identity: a compressed transfer would make Content-Length useless for the truncation check.
    const res = await fetch(url, { signal: ac.signal, headers: { 'accept-encoding': 'identity' } });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      throw failure(url, `HTTP ${res.status} ${res.statusText}`.trim(), retryable, undefined, { status: res.status });
    }
    const encoded = res.headers.get('content-encoding');
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader && (!encoded || encoded === 'identity') ? Number(lengthHeader) : undefined;
    const hash = createHash('sha256');
    let bytes = 0;
    reporter.start(total);
    await pipeline(
      Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          arm();
          hash.update(chunk);
          bytes += chunk.length;
          o.onProgress?.(bytes, total);
          reporter.update(bytes, total);
          yield chunk;
        }
      },
      createWriteStream(tmp),
    );
    if (total !== undefined && bytes !== total) {
      throw failure(url, `connection closed after ${bytes} of ${total} bytes`, true);
    }
    reporter.done(bytes);
    return { sha256: hash.digest('hex'), bytes };
  } catch (err) {
    if (isDatasetError(err)) throw err;
    if (timedOut) throw failure(url, `no data for ${o.timeoutMs} ms (timeout)`, true, err, { timeout: true });
    if (o.signal?.aborted) throw failure(url, 'aborted', false, err);
    const cause = (err as { cause?: { message?: string } }).cause;
    const detail = cause?.message
      ? `${(err as Error).message} (${cause.message})`
      : String((err as Error).message ?? err);
    throw failure(url, detail, true, err);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
