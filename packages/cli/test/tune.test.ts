import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createStore } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CHILD_TIMEOUT, type CliResult, cli, jsonOf } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OBJECTIVE = join(HERE, 'fixtures/tune-objective.mjs');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder with the objective module beside `study.json` (the config names it `./tune-objective.mjs`). */
function studyDir(workers: number, extra: Record<string, unknown> = {}): { dir: string; marks: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-tune-'));
  dirs.push(dir);
  const marks = join(dir, 'marks');
  mkdirSync(marks);
  copyFileSync(OBJECTIVE, join(dir, 'tune-objective.mjs'));
  writeFileSync(
    join(dir, 'study.json'),
    JSON.stringify({
      name: 'cli-tune',
      space: { x: { type: 'float', low: -5, high: 5 }, n: { type: 'int', low: 1, high: 4 } },
      objective: { module: './tune-objective.mjs', export: 'objective', workerData: { dir: marks, workers } },
      trials: 12,
      sampler: 'random',
      seed: 3,
      ...extra,
    }),
  );
  return { dir, marks };
}

interface TrialJson {
  number: number;
  status: string;
  params: { x: number; n: number };
  value: number | null;
  worker: string;
  attempt: number;
}

describe('mlops tune (in process)', () => {
  it('runs a study from a JSON config on memory:// and prints its trials and best as one JSON document', async () => {
    const { dir } = studyDir(1);
    const r = await cli(['--store', 'memory://', 'tune', 'study.json', '--trials', '4', '--worker', 'solo', '--json'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonOf<{ study: string; trials: TrialJson[]; best: TrialJson; studyTrials: { complete: number } }>(r);
    expect(out.study).toBe('cli-tune');
    expect(out.trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
    expect(out.studyTrials.complete).toBe(4);
    for (const t of out.trials) {
      expect(t).toMatchObject({ status: 'complete', worker: 'solo' });
      expect(t.value).toBeCloseTo((t.params.x - 1) ** 2 + t.params.n, 12);
    }
    expect(out.best.value).toBe(Math.min(...out.trials.map((t) => t.value!)));
    // Not a terminal: progress goes to stderr as JSON lines.
    const progress = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; label: string });
    expect(progress.map((p) => p.msg)).toEqual(expect.arrayContaining(['progress.start', 'progress.end']));
    expect(progress[0]!.label).toBe('study cli-tune');
  }, 60_000);

  it('a missing config exits 3, a bad one 2 with the field, a config without a budget or name 2', async () => {
    const { dir } = studyDir(1, { space: { x: { type: 'float', low: 2, high: 1 } } });
    const missing = await cli(['--store', 'memory://', 'tune', 'nope.json', '--json'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr).error.code).toBe('NOT_FOUND');
    const badSpace = await cli(['--store', 'memory://', 'tune', 'study.json', '--json'], { cwd: dir });
    expect(badSpace.code).toBe(2);
    expect(badSpace.stderr).toMatch(/space\.x\.low/);
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ name: 's', space: {}, objective: './o.mjs', trails: 3 }));
    const typo = await cli(['--store', 'memory://', 'tune', 'typo.json', '--json'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/trails/);
    writeFileSync(join(dir, 'nobudget.json'), JSON.stringify({ name: 's', space: {}, objective: './o.mjs' }));
    const noBudget = await cli(['--store', 'memory://', 'tune', 'nobudget.json'], { cwd: dir });
    expect(noBudget.code).toBe(2);
    expect(noBudget.stderr).toMatch(/--trials/);
    const badOption = await cli(['--store', 'memory://', 'tune', 'study.json', '--lease-ms', 'soon'], { cwd: dir });
    expect(badOption.code).toBe(2);
  }, 60_000);
});

// Several processes on one study need PostgreSQL (an embedded PGlite store belongs to one process). Skipped with a
// printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const PG = testPostgresUrl('the mlops tune worker-process test');

/** Starts `mlops tune` from source as a real process; `done` resolves when it exits. */
function worker(cwd: string, url: string, args: string[], env: Record<string, string> = {}) {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
    MLOPS_STORE: url,
    MLOPS_SERVER_URL: undefined,
    MLOPS_PROGRESS: undefined,
    ...env,
  };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, BIN, 'tune', 'study.json', ...args], {
    cwd,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

describe.skipIf(!PG)('mlops tune across worker processes [postgres]', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = PG ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : '';
  afterAll(async () => {
    const admin = await createStore(PG!);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  });

  it(
    '3 workers finish a 12-trial study: no trial twice, each ran one, a SIGKILLed worker’s trial is reclaimed',
    async () => {
      const { dir, marks } = studyDir(3);
      // A short lease: the killed worker's trial is claimed again soon after it stops renewing it.
      const common = ['--lease-ms', '1500', '--json'];
      const victim = worker(dir, url, [...common, '--worker', 'victim'], { TUNE_HANG: '1' });
      const a = worker(dir, url, [...common, '--worker', 'a']);
      const b = worker(dir, url, [...common, '--worker', 'b']);
      const workers = [victim, a, b];
      try {
        // The victim's objective never returns: once it holds a trial (its mark is written), kill it mid-trial.
        const mine = () => readdirSync(marks).filter((f) => f.startsWith(`started-${victim.child.pid}-`));
        let exited = false;
        void victim.done.then(() => {
          exited = true;
        });
        while (mine().length === 0 && !exited) await sleep(50);
        if (mine().length === 0) {
          // Say why it exited (its exit code and output), not only that it did.
          const r = await victim.done;
          expect.fail(
            `the victim exited (code ${r.code}, signal ${r.signal}) before claiming a trial:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-1000)}`,
          );
        }
        expect(mine()).toHaveLength(1);
        const victimTrial = Number(mine()[0]!.split('-')[2]);
        const victimParams = JSON.parse(readFileSync(join(marks, mine()[0]!), 'utf8'));
        victim.child.kill('SIGKILL');
        expect((await victim.done).signal).toBe('SIGKILL');

        const [ra, rb] = await Promise.all([a.done, b.done]);
        expect(ra.code, ra.stderr).toBe(0);
        expect(rb.code, rb.stderr).toBe(0);
        const outA = jsonOf<{ trials: TrialJson[]; studyTrials: { complete: number } }>(ra);
        const outB = jsonOf<{ trials: TrialJson[] }>(rb);
        // Each surviving worker ran at least one trial (the victim ran one: its mark), and together they hold all 12.
        expect(outA.trials.length).toBeGreaterThan(0);
        expect(outB.trials.length).toBeGreaterThan(0);
        const ran = [...outA.trials, ...outB.trials].map((t) => t.number).sort((x, y) => x - y);
        expect(ran).toEqual(Array.from({ length: 12 }, (_, i) => i));

        const store = await createStore(url);
        try {
          const rows = await store.query<{
            number: number;
            status: string;
            params: { x: number; n: number };
            worker: string;
            attempt: number | string;
            value: number | string;
          }>(
            `SELECT number, status, params, worker, attempt, value FROM pipelines_trials WHERE study = 'cli-tune' ORDER BY number`,
          );
          expect(rows.map((r) => Number(r.number))).toEqual(Array.from({ length: 12 }, (_, i) => i));
          expect(rows.every((r) => r.status === 'complete')).toBe(true);
          expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(12);
          for (const r of rows) expect(Number(r.value)).toBeCloseTo((r.params.x - 1) ** 2 + r.params.n, 9);
          // The killed worker's trial ran again elsewhere, with the same params, as a later attempt.
          const reclaimed = rows[victimTrial]!;
          expect(['a', 'b']).toContain(reclaimed.worker);
          expect(Number(reclaimed.attempt)).toBeGreaterThanOrEqual(2);
          expect(reclaimed.params).toEqual(victimParams);
          expect(rows.some((r) => r.worker === 'victim')).toBe(false);
          // Every process started a trial: 3 distinct pids among the marks.
          expect(new Set(readdirSync(marks).map((f) => f.split('-')[1])).size).toBe(3);
        } finally {
          await store.close();
        }
        expect(outA.studyTrials.complete).toBe(12);
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
        await Promise.all(workers.map((w) => w.done.catch(() => undefined)));
      }
    },
    CHILD_TIMEOUT,
  );
});
