import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatasetFileSpec, isDatasetError, resolveDatasetFile } from '@mlops/datasets';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropMidBody, serve, sha256, stall, startTestServer, type TestServer } from './http-server.js';

const BODY = new TextEncoder().encode(
  `${'id,value\n'}${Array.from({ length: 5000 }, (_, i) => `${i},${i * 7}`).join('\n')}\n`,
);
const DIGEST = sha256(BODY);

let server: TestServer;
let cacheDir: string;

// Every spec points at a host that does not exist; `baseUrl` sends the request to the local server instead, keeping
// the pinned path. If the rewrite ever broke, the test would fail instead of reaching the internet.
const spec = (name: string, extra: Partial<DatasetFileSpec> = {}): DatasetFileSpec => ({
  dataset: 'test-ds',
  file: `${name}.csv`,
  sha256: DIGEST,
  sources: [{ url: `https://pinned.invalid/owner/repo/0123abcd/${name}.csv` }],
  ...extra,
});

const opts = () => ({
  baseUrl: server.url,
  cacheDir,
  sharedDir: false as const,
  datasetsDir: '',
  offline: false,
  progress: 'silent' as const,
  retryDelayMs: 5,
  timeoutMs: 2000,
});

async function cacheFiles(): Promise<string[]> {
  const dir = join(cacheDir, 'test-ds');
  return existsSync(dir) ? readdir(dir) : [];
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mlops-datasets-dl-'));
  return () => rm(cacheDir, { recursive: true, force: true });
});

describe('download against a local HTTP server', () => {
  it('downloads the right bytes, verifies them, caches them, and serves the second call from the cache', async () => {
    server.route('/owner/repo/0123abcd/good.csv', serve(BODY));
    const progress: [number, number | undefined][] = [];
    const first = await resolveDatasetFile(spec('good'), { ...opts(), onProgress: (b, t) => progress.push([b, t]) });
    expect(first.origin).toBe('download');
    expect(first.sha256).toBe(DIGEST);
    expect(first.verified).toBe(true);
    expect(first.url).toBe(`${server.url}/owner/repo/0123abcd/good.csv`);
    expect(first.path).toBe(join(cacheDir, 'test-ds', 'good.csv'));
    expect(Buffer.compare(await readFile(first.path), Buffer.from(BODY))).toBe(0);
    expect(progress.at(-1)).toEqual([BODY.length, BODY.length]);
    expect(server.hits('/owner/repo/0123abcd/good.csv')).toBe(1);

    const second = await resolveDatasetFile(spec('good'), opts());
    expect(second.origin).toBe('cache');
    expect(second.sha256).toBe(DIGEST);
    expect(server.hits('/owner/repo/0123abcd/good.csv')).toBe(1);
    expect(await cacheFiles()).toEqual(['good.csv']);
  });

  it('rejects wrong bytes with CHECKSUM_MISMATCH naming the file and both digests, and keeps nothing', async () => {
    const wrong = new TextEncoder().encode('id,value\n1,2\n');
    server.route('/owner/repo/0123abcd/bad.csv', serve(wrong));
    const err = await resolveDatasetFile(spec('bad'), opts()).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('test-ds/bad.csv');
    expect(msg).toContain(DIGEST);
    expect(msg).toContain(sha256(wrong));
    expect(msg).toMatch(/retry|verified copy/);
    expect(server.hits('/owner/repo/0123abcd/bad.csv')).toBe(1); // a bad checksum is not retried
    expect(await cacheFiles()).toEqual([]);
  });

  it('fails a 404 with DOWNLOAD_FAILED naming the URL, without retrying', async () => {
    const err = await resolveDatasetFile(spec('missing'), opts()).catch((e: unknown) => e);
    expect(isDatasetError(err, 'DOWNLOAD_FAILED')).toBe(true);
    expect((err as Error).message).toContain(`${server.url}/owner/repo/0123abcd/missing.csv`);
    expect((err as Error).message).toContain('404');
    expect(server.hits('/owner/repo/0123abcd/missing.csv')).toBe(1);
    expect(await cacheFiles()).toEqual([]);
  });

  it('retries a connection that drops mid-body, then gives up with DOWNLOAD_FAILED and an empty cache', async () => {
    server.route('/owner/repo/0123abcd/drop.csv', dropMidBody(BODY));
    const err = await resolveDatasetFile(spec('drop'), { ...opts(), retries: 2 }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'DOWNLOAD_FAILED')).toBe(true);
    expect((err as Error).message).toContain('drop.csv');
    expect((err as Error).message).toContain('after 3 attempts');
    expect(server.hits('/owner/repo/0123abcd/drop.csv')).toBe(3);
    expect(await cacheFiles()).toEqual([]); // no partial or temporary file left behind
  });

  it('recovers when a dropped connection succeeds on retry', async () => {
    server.route('/owner/repo/0123abcd/flaky.csv', (res, before) =>
      before === 0 ? dropMidBody(BODY)(res, before) : serve(BODY)(res, before),
    );
    const got = await resolveDatasetFile(spec('flaky'), opts());
    expect(got.sha256).toBe(DIGEST);
    expect(server.hits('/owner/repo/0123abcd/flaky.csv')).toBe(2);
  });

  it('retries HTTP 503 with backoff and then succeeds', async () => {
    server.route('/owner/repo/0123abcd/busy.csv', (res, before) => {
      if (before < 2) {
        res.writeHead(503);
        res.end('busy');
      } else serve(BODY)(res, before);
    });
    const got = await resolveDatasetFile(spec('busy'), opts());
    expect(got.origin).toBe('download');
    expect(server.hits('/owner/repo/0123abcd/busy.csv')).toBe(3);
  });

  it('times out a server that stops sending, and says so', async () => {
    server.route('/owner/repo/0123abcd/slow.csv', stall);
    const err = await resolveDatasetFile(spec('slow'), { ...opts(), timeoutMs: 150, retries: 1 }).catch(
      (e: unknown) => e,
    );
    expect(isDatasetError(err, 'DOWNLOAD_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/timeout/);
    expect((err as { details?: { timeout?: boolean } }).details?.timeout).toBe(true);
    expect(server.hits('/owner/repo/0123abcd/slow.csv')).toBe(2);
    expect(await cacheFiles()).toEqual([]);
  });

  it('falls back to the next source when the first fails', async () => {
    server.route('/mirror-b/two.csv', serve(BODY));
    const got = await resolveDatasetFile(
      spec('two', {
        sources: [{ url: 'https://a.invalid/mirror-a/two.csv' }, { url: 'https://b.invalid/mirror-b/two.csv' }],
      }),
      opts(),
    );
    expect(got.url).toBe(`${server.url}/mirror-b/two.csv`);
    expect(server.hits('/mirror-a/two.csv')).toBe(1);
  });

  it('downloads a zip, verifies the archive digest, extracts the entry and verifies it too', async () => {
    const zip = zipSync({ 'data/inner.csv': BODY, 'README.txt': new TextEncoder().encode('hello') });
    server.route('/owner/repo/0123abcd/data/archive (1).zip', serve(zip));
    const archived = spec('inner', {
      sources: [
        {
          url: 'https://pinned.invalid/owner/repo/0123abcd/data/archive%20(1).zip',
          archive: { sha256: sha256(zip), entry: 'inner.csv' },
        },
      ],
    });
    const got = await resolveDatasetFile(archived, opts());
    expect(got.sha256).toBe(DIGEST);
    expect(Buffer.compare(await readFile(got.path), Buffer.from(BODY))).toBe(0);
    expect(await cacheFiles()).toEqual(['inner.csv']); // the zip itself is not kept

    // An archive whose digest differs from the pin is refused before extraction.
    await rm(got.path);
    const tampered = {
      ...archived,
      sources: [{ ...archived.sources[0]!, archive: { sha256: '0'.repeat(64), entry: 'inner.csv' } }],
    };
    const err = await resolveDatasetFile(tampered, opts()).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('archive (1).zip');
    expect(await cacheFiles()).toEqual([]);
  });

  it('an archive digest pinned by a third party is a warning: the archive digest is recorded, the entry still checked', async () => {
    const zip = zipSync({ 'x/third.csv': BODY });
    server.route('/owner/repo/0123abcd/third.zip', serve(zip));
    const source = {
      url: 'https://pinned.invalid/owner/repo/0123abcd/third.zip',
      archive: { sha256: '0'.repeat(64), entry: 'third.csv', pinnedBy: 'third-party' as const },
    };
    const lines: string[] = [];
    const got = await resolveDatasetFile(spec('third', { sources: [source] }), {
      ...opts(),
      progress: 'auto',
      progressStream: { isTTY: false, write: (s: string) => lines.push(s) },
    });
    expect(got.sha256).toBe(DIGEST);
    expect(got.archive).toEqual({ sha256: sha256(zip), matchedPin: false });
    expect(lines.join('')).toContain(`has sha256 ${sha256(zip)}, not the third-party pin`);

    // The entry inside is still verified against its own digest.
    await rm(got.path);
    const other = zipSync({ 'third.csv': new TextEncoder().encode('id,value\n1,2\n') });
    server.route('/owner/repo/0123abcd/third.zip', serve(other));
    const err = await resolveDatasetFile(spec('third', { sources: [source] }), opts()).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('extracted from third.zip');
  });

  it('writes JSON progress lines when not on a TTY', async () => {
    server.route('/owner/repo/0123abcd/logged.csv', serve(BODY));
    const lines: string[] = [];
    await resolveDatasetFile(spec('logged'), {
      ...opts(),
      progress: 'auto',
      progressStream: { isTTY: false, write: (s: string) => lines.push(s) },
    });
    const events = lines.map((l) => JSON.parse(l) as { msg: string; file: string; bytes?: number });
    expect(events[0]?.msg).toBe('download started');
    expect(events.at(-1)).toMatchObject({ msg: 'download finished', file: 'test-ds/logged.csv', bytes: BODY.length });
  });

  it('draws a live progress line on a TTY', async () => {
    server.route('/owner/repo/0123abcd/tty.csv', serve(BODY));
    let out = '';
    await resolveDatasetFile(spec('tty'), {
      ...opts(),
      progress: 'auto',
      progressStream: { isTTY: true, write: (s: string) => (out += s) },
    });
    expect(out.startsWith('\rdownloading test-ds/tty.csv')).toBe(true);
    expect(out).toContain('100%');
    expect(out.endsWith('\n')).toBe(true);
  });
});
