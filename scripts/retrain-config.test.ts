// deploy/retrain.config.mjs run the way the CronJob runs it: `mlops retrain deploy/retrain.config.mjs --json` as a
// real process against a PGlite store seeded with a dataset version, a promoted text model with its reference
// profile, and a day of logged predictions whose texts drifted and whose feedback shows the model is wrong.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createStore, fsObjectStore, loadModelPackage } from '@mlops/core';
import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { listRetrainDecisions } from '@mlops/core/retrain-decisions';
import { linearFlavor } from '@mlops/plugin-linear';
import { createRegistry } from '@mlops/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTicketModel } from './fixtures/ticket-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'packages/cli/src/bin.ts');
const CONFIG = join(root, 'deploy/retrain.config.mjs');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TIMEOUT = 240_000;

// The training data: three topics, vocabulary of 2024.
const TOPICS: Record<string, string[]> = {
  access: [
    'reset my password please',
    'password expired cannot log in',
    'locked out of my account',
    'forgot password for email',
    'account locked after failed login',
    'need password reset for vpn account',
    'cannot log in password rejected',
    'my account is locked again',
    'login fails with wrong password',
    'please unlock my user account',
    'password change request',
    'reset account password today',
  ],
  hardware: [
    'printer jammed on floor two',
    'laptop screen is broken',
    'keyboard keys not working',
    'printer out of toner',
    'monitor flickers all day',
    'laptop battery does not charge',
    'mouse stopped working',
    'broken screen on my laptop',
    'printer shows paper jam',
    'docking station not detecting monitor',
    'laptop fan very loud',
    'replace broken keyboard',
  ],
  network: [
    'wifi keeps disconnecting',
    'vpn connection drops',
    'no internet in meeting room',
    'network very slow today',
    'cannot reach shared drive over network',
    'wifi signal weak in office',
    'vpn will not connect from home',
    'ethernet port dead at my desk',
    'internet down on third floor',
    'slow network when uploading files',
    'wifi password for guests',
    'vpn disconnects every hour',
  ],
};
// Live traffic after the shift: new tools and words the model never saw, with their true topic as feedback.
const SHIFTED: [string, string][] = [
  ['mfa authenticator app not sending code', 'access'],
  ['authenticator push never arrives', 'access'],
  ['mfa enrollment on new phone', 'access'],
  ['sso token rejected by authenticator', 'access'],
  ['webcam not detected in teams call', 'hardware'],
  ['headset microphone crackles in teams', 'hardware'],
  ['webcam image is black', 'hardware'],
  ['usb headset not recognised', 'hardware'],
  ['hotdesk booking portal unreachable', 'network'],
  ['teams call drops on hybrid floor', 'network'],
  ['zoom lags on hotdesk floor', 'network'],
  ['hybrid room bandwidth saturated', 'network'],
];

let dir: string;
let storeUrl: string;
let objectsDir: string;

function cli(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
    MLOPS_MODEL: 'tickets',
    MLOPS_RETRAIN_DATASET: 'tickets-train',
    MLOPS_RETRAIN_LABEL_COLUMN: 'topic',
    MLOPS_RETRAIN_MIN_ACCURACY: '0.6',
    MLOPS_RETRAIN_MIN_SAMPLES: '30',
    ...env,
  };
  for (const k of ['MLOPS_STORE', 'MLOPS_SERVER_URL', 'MLOPS_OBJECTS', 'MLOPS_MODEL_ALIAS']) {
    if (!(k in env)) delete childEnv[k];
  }
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    const p = spawn(
      process.execPath,
      ['--import', TSX, BIN, 'retrain', CONFIG, '--store', storeUrl, '--objects', objectsDir, '--json', ...args],
      { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

const json = (r: { stdout: string; stderr: string; code: number | null }) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}).\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-retrain-config-'));
  storeUrl = `pglite://${join(dir, 'db')}`;
  objectsDir = join(dir, 'objects');
  const store = await createStore(storeUrl);
  try {
    const objects = fsObjectStore({ dir: objectsDir, fsync: false });
    // v1: trained on the 2024 vocabulary, registered with the reference profile of its training texts.
    const registry = await createRegistry({ store, objects, events: false });
    const { digest } = await registerTicketModel({ store, objects, registry, model: 'tickets', topics: TOPICS, dir });

    // A day of traffic: the shifted tickets three times over (36 predictions ≥ minSamples), predicted by v1 as the
    // server would log them, each with its true topic as feedback.
    const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor()] });
    const live = [...SHIFTED, ...SHIFTED, ...SHIFTED];
    const predicted = (await predictor.predict({ text: live.map(([t]) => t) })).label as string[];
    const logger = createPredictionLogger({ store });
    const ids = live.map(([text], i) =>
      logger.log({
        requestId: `req-${i}`,
        model: 'tickets',
        version: '1',
        alias: 'production',
        inputs: { text },
        outputs: { label: predicted[i] },
        time: new Date(Date.now() - (live.length - i) * 60_000),
      }),
    );
    const stats = await logger.close();
    expect(stats.written).toBe(live.length);
    for (const [i, { id }] of ids.entries()) await recordFeedback({ store, predictionId: id, label: live[i]![1] });
    await registry.close();
  } finally {
    await store.close();
  }
}, TIMEOUT);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/retrain.config.mjs through `mlops retrain`', () => {
  it(
    '--dry-run: both triggers fire on the drifted, mislabelled window; nothing is recorded',
    async () => {
      const r = await cli(['--dry-run']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { model, alias, evaluation } = json(r);
      expect({ model, alias }).toEqual({ model: 'tickets', alias: 'production' });
      expect(evaluation).toMatchObject({ version: 1, triggered: true, counts: { predictions: 36, labelled: 36 } });
      expect(evaluation.drift).toMatchObject({ drifted: true, driftedColumns: ['text'] });
      expect(evaluation.performance.metrics.accuracy).toBeLessThan(0.8);
      expect(evaluation.reasons.map((x: { trigger: string }) => x.trigger).sort()).toEqual(['drift', 'performance']);
    },
    TIMEOUT,
  );

  it(
    'an invalid threshold fails the job (exit 1) naming the variable',
    async () => {
      const r = await cli([], { MLOPS_RETRAIN_ACCURACY_BELOW: '1.5' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('MLOPS_RETRAIN_ACCURACY_BELOW');
    },
    TIMEOUT,
  );

  it(
    'retrains on the dataset + feedback, registers v2 with lineage and profile, passes the gate and promotes it',
    async () => {
      const r = await cli([]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { decision } = json(r);
      expect(decision).toMatchObject({
        model: 'tickets',
        alias: 'production',
        status: 'promoted',
        triggered: true,
        incumbentVersion: 1,
        candidateVersion: 2,
        principal: 'retrain-job',
        error: null,
      });
      // fair gate: both models scored on the same held-out rows the retraining kept aside
      expect(decision.evaluation.comparison).toMatchObject({
        data: { source: 'holdout' },
        candidate: { version: 2 },
        incumbent: { version: 1 },
      });

      const store = await createStore(storeUrl);
      try {
        const objects = fsObjectStore({ dir: objectsDir, fsync: false });
        const registry = await createRegistry({ store, objects, events: false });
        // the dry run and the refused configuration recorded nothing: this run is the only decision
        const decisions = await listRetrainDecisions({ store, model: 'tickets' });
        expect(decisions.map((d) => [d.status, d.candidateVersion])).toEqual([['promoted', 2]]);
        const aliases = await registry.listAliases('tickets');
        expect(aliases.find((a) => a.alias === 'production')?.version).toBe(2);
        const v2 = await registry.getVersion({ model: 'tickets', version: 2 });
        expect(v2.tags).toMatchObject({ trigger: expect.stringMatching(/drift/), feedbackRows: '36' });
        expect(Number(v2.tags.trainRows) + Number(v2.tags.testRows)).toBe(36 + 36);
        expect(v2.datasetVersions).toEqual([expect.objectContaining({ name: 'tickets-train' })]);
        expect(v2.metrics.accuracy).toBeGreaterThanOrEqual(0.6);
        // The new version learned the new vocabulary from the feedback labels.
        const { predictor } = await loadModelPackage({
          objects,
          digest: v2.packageDigest,
          flavors: [linearFlavor()],
        });
        const out = await predictor.predict({ text: ['authenticator mfa code', 'webcam in teams'] });
        expect(out.label).toEqual(['access', 'hardware']);
        await registry.close();
      } finally {
        await store.close();
      }
    },
    TIMEOUT,
  );
});

describe('the gate holdout of deploy/retrain.config.mjs', () => {
  it('holds out the same dataset rows as a version trained on the dataset alone (the seed), plus a share of the feedback', async () => {
    const { holdoutSplit, stratifiedSplit } = (await import(pathToFileURL(CONFIG).href)) as {
      holdoutSplit: (dataset: string[], feedback: string[], share: number, seed: number) => Split;
      stratifiedSplit: (labels: string[], share: number, seed: number) => Split;
    };
    type Split = { train: number[]; test: number[] };
    const dataset = Array.from({ length: 200 }, (_, i) => ['a', 'b', 'c'][i % 3]!);
    const feedback = Array.from({ length: 60 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4]!);
    const seed = stratifiedSplit(dataset, 0.2, 42); // what the seed version (no feedback) trained on and held out
    const both = holdoutSplit(dataset, feedback, 0.2, 42);
    // every dataset row the gate scores on is one the seed version never trained on, whatever the feedback
    expect(both.test.filter((i) => i < dataset.length)).toEqual(seed.test);
    expect(both.train.filter((i) => i < dataset.length)).toEqual(seed.train);
    const fb = both.test.filter((i) => i >= dataset.length).length;
    expect(fb).toBeGreaterThanOrEqual(10);
    expect(fb).toBeLessThanOrEqual(14);
    expect([...both.train, ...both.test].sort((x, y) => x - y)).toEqual(
      Array.from({ length: dataset.length + feedback.length }, (_, i) => i),
    );
  });
});
