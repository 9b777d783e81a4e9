import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT, cli, jsonOf, mlops } from './helpers.js';

let dir: string;

/** A deterministic CSV: `age` shifted by `shift`, `plan` switching category mix, `id` a row number. */
function csv(rows: number, shift: number, planB: number): string {
  const lines = ['id,age,plan'];
  for (let i = 0; i < rows; i++) {
    const age = 30 + shift + ((i * 7919) % 40) / 2;
    lines.push(`${i},${age},${(i * 31) % 100 < planB * 100 ? 'b' : 'a'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** {@link csv} plus a `label` column (`churn` for a `churned` share of rows). */
function labelledCsv(rows: number, shift: number, planB: number, churned: number): string {
  const [header, ...lines] = csv(rows, shift, planB).trimEnd().split('\n');
  const label = (i: number) => ((i * 17) % 100 < churned * 100 ? 'churn' : 'stay');
  return `${[`${header},label`, ...lines.map((l, i) => `${l},${label(i)}`)].join('\n')}\n`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-drift-'));
  await writeFile(join(dir, 'ref.csv'), csv(400, 0, 0.3));
  await writeFile(join(dir, 'same.csv'), csv(400, 0, 0.3));
  await writeFile(join(dir, 'cur.csv'), csv(400, 15, 0.8));
  // Only `age` (of the features age, plan) and the target `label` shift.
  await writeFile(join(dir, 'ref-labelled.csv'), labelledCsv(400, 0, 0.3, 0.2));
  await writeFile(join(dir, 'cur-labelled.csv'), labelledCsv(400, 15, 0.3, 0.7));
  await writeFile(join(dir, 'same-labelled.csv'), labelledCsv(400, 15, 0.3, 0.2));
  // Broken feeds: `age` renamed to `age_years`; `age` as text with units; `age` empty.
  const same = csv(400, 0, 0.3);
  await writeFile(join(dir, 'renamed.csv'), same.replace(/^id,age,plan/, 'id,age_years,plan'));
  await writeFile(join(dir, 'as-text.csv'), same.replace(/^(\d+),([\d.]+),/gm, '$1,$2 years,'));
  await writeFile(join(dir, 'empty-age.csv'), same.replace(/^(\d+),([\d.]+),/gm, '$1,,'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops drift (run() in-process; the bin as a process for an unknown command)', () => {
  it(
    'writes an HTML report with SVG histograms and prints the JSON report',
    async () => {
      const r = await cli(['drift', 'ref.csv', 'cur.csv', '--exclude', 'id', '--html', 'report.html', '--json'], {
        cwd: dir,
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('HTML report written to report.html');
      const report = jsonOf<{
        kind: string;
        dataset: { drifted: boolean; columns: number };
        columns: { column: string; drifted: boolean }[];
      }>(r);
      expect(report.kind).toBe('mlops.drift/report');
      expect(report.dataset).toMatchObject({ drifted: true, columns: 2 });
      expect(report.columns.map((c) => [c.column, c.drifted]).sort()).toEqual([
        ['age', true],
        ['plan', true],
      ]);
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).toContain('age');
    },
    CHILD_TIMEOUT,
  );

  it(
    '--fail-on-drift exits 8 on drift and 0 without; a missing file is exit 3',
    async () => {
      const drifted = await cli(['drift', 'ref.csv', 'cur.csv', '--exclude', 'id', '--fail-on-drift'], { cwd: dir });
      expect(drifted.code).toBe(8);
      expect(drifted.stdout).toContain('Dataset drift: DETECTED');
      const same = await cli(['drift', 'ref.csv', 'same.csv', '--exclude', 'id', '--fail-on-drift'], { cwd: dir });
      expect(same.code).toBe(0);
      expect(same.stdout).toContain('Dataset drift: not detected');
      const missing = await cli(['drift', 'ref.csv', 'nope.csv'], { cwd: dir });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('nope.csv does not exist');
    },
    CHILD_TIMEOUT,
  );

  it(
    'counts feature columns in the dataset verdict and reports the target column separately, as --json does',
    async () => {
      const args = ['drift', 'ref-labelled.csv', 'cur-labelled.csv', '--exclude', 'id', '--target', 'label'];
      const r = await cli(args, { cwd: dir });
      expect(r.code).toBe(0);
      const [summary, header, ...rows] = r.stdout.trimEnd().split('\n');
      expect(summary).toBe(
        'Dataset drift: DETECTED (1 of 2 feature columns drifted, share 0.50, threshold 0.5); target drift: yes',
      );
      expect(header!.split(/\s+/)).toEqual(['COLUMN', 'ROLE', 'TYPE', 'TEST', 'SCORE', 'THRESHOLD', 'DRIFT']);
      // Two rows say drifted (a feature and the target); the summary's "1 of 2" counts only the feature.
      const table = rows.map((row) => row.split(/\s+/)).map((c) => [c[0], c[1], c.at(-1)]);
      expect(table.sort()).toEqual([
        ['age', 'feature', 'yes'],
        ['label', 'target', 'yes'],
        ['plan', 'feature', 'no'],
      ]);

      const json = jsonOf<{
        dataset: { drifted: boolean; driftedColumns: number; columns: number; share: number };
        targetDrift: boolean | null;
        columns: { column: string; role: string; drifted: boolean }[];
      }>(await cli([...args, '--json'], { cwd: dir }));
      expect(json.dataset).toMatchObject({ drifted: true, driftedColumns: 1, columns: 2, share: 0.5 });
      expect(json.targetDrift).toBe(true);
      expect(
        json.columns
          .filter((c) => c.drifted)
          .map((c) => [c.column, c.role])
          .sort(),
      ).toEqual([
        ['age', 'feature'],
        ['label', 'target'],
      ]);

      const stable = await cli(
        ['drift', 'ref-labelled.csv', 'same-labelled.csv', '--exclude', 'id', '--target', 'label'],
        { cwd: dir },
      );
      expect(stable.stdout.split('\n')[0]).toMatch(/\(1 of 2 feature columns drifted, .*\); target drift: no$/);
    },
    CHILD_TIMEOUT,
  );

  it(
    'a broken feed says BROKEN FEED with its problems, exits 9 with --fail-on-drift, and --json has status broken',
    async () => {
      const renamed = await cli(['drift', 'ref.csv', 'renamed.csv', '--exclude', 'id', '--fail-on-drift'], {
        cwd: dir,
      });
      expect(renamed.code).toBe(9);
      const lines = renamed.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(
        'Dataset drift: BROKEN FEED, no verdict (1 column could not be tested; 0 of 1 tested feature columns drifted)',
      );
      expect(lines).toContain('broken: column age is missing from the current data');
      expect(lines).toContain('warning: column age_years is not in the reference (not tested)');
      expect(renamed.stdout).not.toContain('not detected');
      expect(renamed.stdout).not.toContain('skipped age');

      const text = await cli(['drift', 'ref.csv', 'as-text.csv', '--exclude', 'id', '--fail-on-drift'], { cwd: dir });
      expect(text.code).toBe(9);
      expect(text.stdout).toMatch(
        /broken: column age changed type: expected numerical, found string \(400 of 400 values cannot be read, e\.g\. "30 years"/,
      );
      const empty = await cli(['drift', 'ref.csv', 'empty-age.csv', '--exclude', 'id', '--json'], { cwd: dir });
      expect(empty.code).toBe(0); // without --fail-on-drift the report is the result
      const report = jsonOf<{ dataset: { status: string; drifted: boolean | null }; schema: { empty: string[] } }>(
        empty,
      );
      expect(report.dataset).toMatchObject({ status: 'broken', drifted: null });
      expect(report.schema.empty).toEqual(['age']);
      const html = await cli(['drift', 'ref.csv', 'renamed.csv', '--exclude', 'id', '--html', 'broken.html'], {
        cwd: dir,
      });
      expect(html.code).toBe(0);
      expect(await readFile(join(dir, 'broken.html'), 'utf8')).toContain('Broken feed: no drift verdict');
    },
    CHILD_TIMEOUT,
  );

  it(
    'an unknown command exits 2 and prints the help',
    async () => {
      // the bin itself, as a process
      const r = await mlops(['deploy'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("unknown command 'deploy'");
      expect(r.stderr).toContain('Usage: mlops');
      expect(r.stderr).toContain('Exit codes:');
    },
    CHILD_TIMEOUT,
  );
});
