import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findSharedDatasetsDirs,
  IT_TICKETS_TOPICS_FILE,
  IT_TICKETS_URGENCY_FILE,
  isDatasetError,
  loadSecom,
  loadSecomLabels,
  loadTicketTopics,
  loadTicketUrgency,
  resolveDatasetFile,
  SECOM_LABELS_FILE,
  simulateSecom,
} from '@mlops/datasets';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, startTestServer, type TestServer } from './http-server.js';

// The real files live in MLOPS_DATASETS_DIR or ../shared/datasets beside the repository (here and on this project's
// CI machines). They are never committed; where neither exists these tests are skipped with the reason printed.
const candidates = [
  ...(process.env.MLOPS_DATASETS_DIR ? [process.env.MLOPS_DATASETS_DIR] : []),
  ...findSharedDatasetsDirs(),
];
const shared = candidates.find((d) => existsSync(join(d, 'it-tickets')) && existsSync(join(d, 'secom')));
// The loaders prefer MLOPS_DATASETS_DIR over the shared folder, and say which one they used.
const origin = shared !== undefined && shared === process.env.MLOPS_DATASETS_DIR ? 'env' : 'shared';
if (!shared) {
  console.warn(
    '[@mlops/datasets] real-data tests skipped: neither MLOPS_DATASETS_DIR nor a shared/datasets folder beside the repository holds it-tickets/ and secom/',
  );
}
const opts = { offline: true, progress: 'silent' as const };

const countBy = <T>(xs: T[], key: (x: T) => string | number) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(key(x))] = (out[String(key(x))] ?? 0) + 1;
  return out;
};

describe.skipIf(!shared)('real shared datasets [real-data]', () => {
  it('tickets with topics: 47,837 rows, sha256 verified, topic counts as in SOURCE.md', async () => {
    const { rows, source } = await loadTicketTopics(opts);
    expect(rows).toHaveLength(47_837);
    expect(source).toMatchObject({
      origin,
      verified: true,
      simulated: false,
      sha256: IT_TICKETS_TOPICS_FILE.sha256,
    });
    expect(countBy(rows, (r) => r.topic)).toEqual({
      Hardware: 13617,
      'HR Support': 10915,
      Access: 7125,
      Miscellaneous: 7060,
      Storage: 2777,
      Purchase: 2464,
      'Internal Project': 2119,
      'Administrative rights': 1760,
    });
  });

  it('tickets with urgency: 5,431 rows, label counts and the urgency caveat as in SOURCE.md', async () => {
    const { rows, source } = await loadTicketUrgency(opts);
    expect(rows).toHaveLength(5_431);
    expect(source).toMatchObject({ origin, verified: true, sha256: IT_TICKETS_URGENCY_FILE.sha256 });
    expect(countBy(rows, (r) => r.ticketType)).toEqual({ 0: 576, 1: 4855 });
    expect(countBy(rows, (r) => r.urgency)).toEqual({ 0: 14, 1: 300, 2: 262, 3: 4855 });
    expect(countBy(rows, (r) => r.impact)).toEqual({ 0: 17, 1: 4, 2: 6, 3: 549, 4: 4855 });
    expect(countBy(rows, (r) => r.category)).toEqual({
      1: 10,
      4: 3740,
      5: 1230,
      6: 296,
      7: 105,
      8: 12,
      9: 2,
      11: 35,
      12: 1,
    });
    expect(rows.filter((r) => r.title.trim() === '')).toHaveLength(107); // one of them is a single space
    // Caveat: urgency and impact only vary where ticket_type is 0.
    expect(rows.filter((r) => r.ticketType === 1).every((r) => r.urgency === 3 && r.impact === 4)).toBe(true);
  });

  it('SECOM labels: 1,567 runs, 1,463 pass / 104 fail, day-first timestamps in order', async () => {
    const { labels, timestamps, source } = await loadSecomLabels(opts);
    expect(source).toMatchObject({ origin, verified: true, sha256: SECOM_LABELS_FILE.sha256 });
    expect(labels).toHaveLength(1567);
    expect(countBy(labels, (l) => l)).toEqual({ '-1': 1463, 1: 104 });
    expect(timestamps[0]?.toISOString()).toBe('2008-07-19T11:55:00.000Z');
    expect(timestamps.at(-1)?.toISOString()).toBe('2008-10-17T06:07:00.000Z');
    expect(timestamps.every((t, i) => i === 0 || t.getTime() >= (timestamps[i - 1] as Date).getTime())).toBe(true);
  });

  it('MLOPS_DATASETS_DIR pointing at the same folder is reported as origin env', async () => {
    const { source } = await loadSecomLabels({ ...opts, datasetsDir: shared });
    expect(source.origin).toBe('env');
  });

  it('without secom.data and without simulate, loadSecom says to use simulate', async () => {
    // The real labels, and nowhere to find secom.data (whether or not this machine has it).
    const none = join(tmpdir(), 'mlops-datasets-none');
    const labelsPath = join(shared!, 'secom', 'secom_labels.data');
    const err = await loadSecom({ ...opts, labelsPath, datasetsDir: none, sharedDir: false, cacheDir: none }).catch(
      (e: unknown) => e,
    );
    expect(isDatasetError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toMatch(/simulate: true/);
    expect((err as Error).message).toMatch(/--simulate/);
  });

  it('loadSecom({ simulate: true }) builds SECOM-shaped data around the real labels, tagged simulated', async () => {
    const real = await loadSecomLabels(opts);
    const sim = await loadSecom({ ...opts, simulate: true, seed: 3 });
    expect(sim.simulated).toBe(true);
    expect(sim.source.simulated).toBe(true);
    expect(sim.source.path).toBe(real.source.path);
    expect(sim.labels).toEqual(real.labels);
    expect(sim.timestamps).toEqual(real.timestamps);
    expect(sim.features).toHaveLength(1567);
    expect(sim.features[0]).toHaveLength(590);
    const direct = simulateSecom({ seed: 3, labels: real.labels, timestamps: real.timestamps });
    const bits = (m: number[][]) => Buffer.from(Float64Array.from(m.flat()).buffer);
    expect(bits(sim.features).equals(bits(direct.features))).toBe(true);
  });

  describe('real secom.data by path', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mlops-datasets-secom-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    // Stand-in for the real file (absent here): simulated rows, with the first and last rows opening like the UCI file.
    async function writeFeatures(name: string, fingerprint: boolean): Promise<string> {
      const { labels, timestamps } = await loadSecomLabels(opts);
      const rows = simulateSecom({ seed: 1, labels, timestamps }).features.map((r) =>
        r.map((v) => (Number.isNaN(v) ? 'NaN' : String(v))),
      );
      if (fingerprint) {
        rows[0]?.splice(0, 8, ...'3030.93 2564 2187.7333 1411.1265 1.3602 100 97.6133 0.1242'.split(' '));
        rows.at(-1)?.splice(0, 8, ...'2944.92 2450.76 2195.4444 2914.1792 1.5978 100 85.1011 0.1235'.split(' '));
      }
      const path = join(dir, name);
      await writeFile(path, `${rows.map((r) => r.join(' ')).join('\n')}\n`);
      return path;
    }

    it('loads a file with the UCI shape and fingerprint as real (unverified digest, reported)', async () => {
      const featuresPath = await writeFeatures('secom.data', true);
      const data = await loadSecom({ ...opts, featuresPath });
      expect(data.simulated).toBe(false);
      expect(data.source).toMatchObject({ origin: 'path', path: featuresPath, verified: false, simulated: false });
      expect(data.source.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(data.features).toHaveLength(1567);
      expect(data.features[0]?.[0]).toBe(3030.93);
      expect(data.labels).toHaveLength(1567);
    });

    it('refuses a file of the right shape that is not the UCI file', async () => {
      const featuresPath = await writeFeatures('other.data', false);
      const err = await loadSecom({ ...opts, featuresPath }).catch((e: unknown) => e);
      expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
      expect((err as Error).message).toContain('not the UCI secom.data');
    });
  });

  describe('catalog downloads from a local mirror of the pinned URLs', () => {
    let server: TestServer;
    let cacheDir: string;
    beforeAll(async () => {
      server = await startTestServer();
      cacheDir = await mkdtemp(join(tmpdir(), 'mlops-datasets-mirror-'));
    });
    afterAll(async () => {
      await server.close();
      await rm(cacheDir, { recursive: true, force: true });
    });
    const mirror = () => ({
      baseUrl: server.url,
      cacheDir,
      sharedDir: false as const,
      datasetsDir: '',
      offline: false,
      progress: 'silent' as const,
      retryDelayMs: 5,
    });

    it('downloads all_tickets.csv from its commit-pinned path and verifies the published digest', async () => {
      const pinned = new URL(IT_TICKETS_URGENCY_FILE.sources[0]?.url ?? '').pathname;
      server.route(pinned, serve(await readFile(join(shared as string, 'it-tickets', 'all_tickets.csv'))));
      const { rows, source } = await loadTicketUrgency(mirror());
      expect(source).toMatchObject({ origin: 'download', verified: true, sha256: IT_TICKETS_URGENCY_FILE.sha256 });
      expect(rows).toHaveLength(5431);
      expect((await loadTicketUrgency(mirror())).source.origin).toBe('cache');
      expect(server.hits(pinned)).toBe(1);
    });

    it('the SECOM labels come from the UCI path first', async () => {
      server.route(
        '/ml/machine-learning-databases/secom/secom_labels.data',
        serve(await readFile(join(shared as string, 'secom', 'secom_labels.data'))),
      );
      const { source, labels } = await resolveDatasetFile(SECOM_LABELS_FILE, mirror()).then(async (s) => ({
        source: s,
        labels: (await loadSecomLabels({ ...mirror(), labelsPath: s.path })).labels,
      }));
      expect(source).toMatchObject({
        origin: 'download',
        url: `${server.url}/ml/machine-learning-databases/secom/secom_labels.data`,
      });
      expect(labels).toHaveLength(1567);
    });

    it('a re-packed topics zip (not the pinned archive) is refused before extraction', async () => {
      const csv = await readFile(join(shared as string, 'it-tickets', 'all_tickets_processed_improved_v3.csv'));
      const pinned = decodeURIComponent(new URL(IT_TICKETS_TOPICS_FILE.sources[0]?.url ?? '').pathname);
      server.route(pinned, serve(zipSync({ 'all_tickets_processed_improved_v3.csv': csv })));
      const err = await loadTicketTopics(mirror()).catch((e: unknown) => e);
      expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
      expect((err as Error).message).toContain('archive (50).zip');
      expect((err as Error).message).toContain('1e6c2508dba84f737ef30f589c2e4f7b2b27a4bbec753e6b5c84183a5f91ed4f');
    });
  });
});
