import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStores } from '@mlops/core/testing';
import { isDatasetError, loadTicketTopics, TICKET_TOPICS, type TicketTopicRow } from '@mlops/datasets';
import {
  getValidationReport,
  isValidationFailedError,
  listQuarantine,
  SQL_STEP_SUITE,
  type ValidationFailedError,
} from '@mlops/pipelines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTicketsFlow, ticketsTransformations } from '../src/tickets-flow.js';

// A slice of the real IT-tickets file (all_tickets_processed_improved_v3.csv via @mlops/datasets, sha256-verified).
const SLICE = 3000;
let dir: string;
let rows: TicketTopicRow[];
// The real file is never committed: it comes from MLOPS_DATASETS_DIR, ../shared/datasets or the download cache.
// Offline, without it, the real-data tests are skipped with a printed reason (an environment difference).
const available = await loadTicketTopics({ offline: true }).then(
  (r) => r.rows,
  (err: unknown) => {
    if (isDatasetError(err, 'NOT_FOUND')) {
      console.warn(`SKIPPED the real-ticket tests: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
    throw err;
  },
);

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const toCsv = (list: { text: string; topic: string }[], extra: string[] = []) =>
  ['Document,Topic_group', ...list.map((r) => `${csvCell(r.text)},${csvCell(r.topic)}`), ...extra].join('\r\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-tickets-'));
  rows = (available ?? []).slice(0, SLICE);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ticketsTransformations', () => {
  it('accepts exactly the topic labels of @mlops/datasets by default', () => {
    const accepted = ticketsTransformations()[0]!.expectations.find((e) => e.kind === 'accepted_values');
    expect(accepted).toMatchObject({ column: 'topic', values: [...TICKET_TOPICS] });
  });

  it('declares raw → staging → features with the issue’s expectations', () => {
    const steps = ticketsTransformations();
    expect(steps.map((s) => [s.name, s.materialized])).toEqual([
      ['staging.tickets', 'table'],
      ['features.tickets', 'table'],
      ['features.topic_shares', 'view'],
    ]);
    expect(steps[0]!.expectations.map((e) => e.kind)).toEqual(['row_count', 'not_empty', 'accepted_values', 'unique']);
    expect(steps[1]!.expectations.map((e) => e.kind)).toContain('class_shares');
  });
});

describeStores('IT-tickets flow [real-data]', (getStore) => {
  const tag = `t${randomBytes(4).toString('hex')}`;
  const schemas = { raw: `${tag}_raw`, staging: `${tag}_staging`, features: `${tag}_features` };
  afterAll(async () => {
    for (const s of Object.values(schemas)) await getStore().exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });

  it.skipIf(!available)(
    'loads real tickets, stages them with a content-hash id and builds features that pass every expectation',
    async () => {
      const store = getStore();
      const path = join(dir, `ok-${tag}.csv`);
      await writeFile(path, toCsv(rows, ['truncated row without topic']));
      const { ingest, transform } = await runTicketsFlow({
        store,
        path,
        schemas,
        ingest: { progress: false },
        run: { progress: false },
      });
      expect(ingest).toMatchObject({ rows: SLICE, quarantined: 1, reasons: { column_count: 1 } });
      expect(transform.ran).toEqual(['staging.tickets', 'features.tickets', 'features.topic_shares']);
      for (const step of transform.steps) expect(step.validation?.success ?? true).toBe(true);

      const staged = await store.query<{ id: string; text: string; topic: string }>(
        `SELECT id, text, topic FROM "${schemas.staging}".tickets`,
      );
      expect(staged).toHaveLength(SLICE);
      const sample = staged[0]!;
      expect(sample.id).toMatch(/^[0-9a-f]{32}$/);
      expect(sample.text).toBe(sample.text.trim().toLowerCase());
      const shares = transform.steps[1]!.validation!.results.find((r) => r.kind === 'class_shares')!;
      const observed = shares.observed as { total: number; shares: Record<string, number> };
      expect(observed.total).toBe(SLICE);
      const hardware = rows.filter((r) => r.topic === 'Hardware').length / SLICE;
      expect(observed.shares.Hardware).toBeCloseTo(hardware, 12);
      const split = await store.query<{ split: string; n: number }>(
        `SELECT split, count(*)::int AS n FROM "${schemas.features}".tickets GROUP BY split ORDER BY split`,
      );
      expect(split.map((s) => s.split)).toEqual(['test', 'train']);
      expect(split[0]!.n / SLICE).toBeGreaterThan(0.15);
      expect(split[0]!.n / SLICE).toBeLessThan(0.25);
      const saved = await getValidationReport(
        store,
        { name: 'staging.tickets', version: transform.steps[0]!.outputHash },
        SQL_STEP_SUITE,
      );
      expect(saved.report.success).toBe(true);

      // Same file again: the raw table is reloaded with identical content, so every step is skipped.
      const again = await runTicketsFlow({
        store,
        path,
        schemas,
        ingest: { progress: false },
        run: { progress: false },
      });
      expect(again.transform.skipped).toEqual(['staging.tickets', 'features.tickets', 'features.topic_shares']);
    },
  );

  it.skipIf(!available)(
    'stops at staging with a clear report on empty text, unknown labels and duplicate tickets, keeping the previous tables',
    async () => {
      const store = getStore();
      const before = await store.query(`SELECT count(*)::int AS n FROM "${schemas.features}".tickets`);
      const bad = [
        ...rows,
        { text: rows[0]!.text, topic: rows[0]!.topic },
        { text: `  ${rows[1]!.text.toUpperCase()}  `, topic: rows[1]!.topic },
        { text: '   ', topic: 'Hardware' },
        { text: 'printer on fire', topic: 'Facilities' },
      ];
      const path = join(dir, `bad-${tag}.csv`);
      await writeFile(path, toCsv(bad));
      let err: unknown;
      try {
        await runTicketsFlow({ store, path, schemas, ingest: { progress: false }, run: { progress: false } });
      } catch (e) {
        err = e;
      }
      expect(isValidationFailedError(err)).toBe(true);
      const v = err as ValidationFailedError;
      expect(v.code).toBe('VALIDATION_FAILED');
      expect(v.details).toMatchObject({ step: 'staging.tickets' });
      const byKind = Object.fromEntries(v.report.results.map((r) => [r.kind, r]));
      expect(byKind.not_empty).toMatchObject({ success: false, unexpectedCount: 1 });
      expect(byKind.accepted_values).toMatchObject({ success: false, unexpectedCount: 1 });
      expect(byKind.accepted_values!.samples).toEqual([
        expect.objectContaining({ text: 'printer on fire', topic: 'Facilities' }),
      ]);
      expect(byKind.unique).toMatchObject({
        success: false,
        unexpectedCount: 2,
        observed: { duplicateRows: 2, duplicateGroups: 2 },
      });
      expect(v.message).toContain('Step staging.tickets: validation failed, 3 expectations of severity error failed');
      expect(v.message).toContain('no duplicate tickets (content hash)');
      expect(await store.query(`SELECT count(*)::int AS n FROM "${schemas.features}".tickets`)).toEqual(before);
      expect(await store.query(`SELECT count(*)::int AS n FROM "${schemas.staging}".tickets`)).toEqual([{ n: SLICE }]);
    },
  );

  it.skipIf(!available)('fails on class shares out of bounds in features, with the offending classes', async () => {
    const store = getStore();
    const skewed = rows.filter((r) => r.topic === 'Hardware' || r.topic === 'Access').slice(0, 400);
    const path = join(dir, `skew-${tag}.csv`);
    await writeFile(path, toCsv(skewed));
    const err = await runTicketsFlow({
      store,
      path,
      schemas,
      ingest: { progress: false },
      run: { progress: false },
    }).catch((e: unknown) => e);
    expect(isValidationFailedError(err)).toBe(true);
    const v = err as ValidationFailedError;
    expect(v.details).toMatchObject({ step: 'features.tickets' });
    const shares = v.report.results.find((r) => r.kind === 'class_shares')!;
    expect(shares.success).toBe(false);
    expect(shares.samples.map((s) => (s as { value: string }).value).sort()).toEqual(['Access', 'Hardware']);
    // The first file was loaded twice (first test), each time quarantining its truncated last row.
    const truncated = expect.objectContaining({
      line: SLICE + 2,
      raw: 'truncated row without topic',
      reason: 'expected 2 fields, got 1',
    });
    expect(await listQuarantine(store, { table: `${schemas.raw}.tickets`, limit: 10 })).toEqual([truncated, truncated]);
  });
});
