// The retraining job of the deployed stack: `mlops retrain deploy/retrain.config.mjs` (the Kubernetes CronJob, the
// compose `retrain` service and .github/workflows/retrain.yml run exactly this). It builds a continuous-training
// policy (@mlops/pipelines) for a text classifier served by deploy/server.mjs:
//
//   triggers  dataset drift of the logged text inputs against the served version's reference profile, and accuracy
//             from feedback below its minimum (both over the prediction log window, evaluated by @mlops/monitoring;
//             thresholds stored with the version win over these variables); never on a broken feed;
//   retrain   TF-IDF (core) + softmax regression (@mlops/plugin-linear) on the latest version of a dataset in the store
//             plus every prediction that received a feedback label, 80/20 split, evaluated on the held-out part;
//   register  a model package with its fitted TF-IDF, a reference profile of its training texts, metrics and lineage;
//   gate      accuracy ≥ a floor, and not worse than the incumbent by more than a margin, both models scored on the
//             same held-out rows (the 20% the candidate did not train on; `compare`, pipelines' fair gates); the policy
//             promotes on pass.
//
// The same module seeds a new deployment: `mlops retrain deploy/retrain.config.mjs --export createSeedPolicy` trains and
// registers the first version and points the alias at it (see createSeedPolicy). `mlops` reads and writes model
// packages and datasets in the object store of `--objects` / MLOPS_OBJECTS: a folder, or s3://bucket/prefix shared by
// every replica and job (@mlops/plugin-s3; credentials from the AWS environment).
//
// Plain ESM JavaScript using published packages only, so the image runs it without a TypeScript toolchain.
// Configuration (environment; every variable is optional except that the model and the dataset must exist):
//
//   MLOPS_MODEL                 registered model to retrain                        default ticket-topic
//   MLOPS_MODEL_ALIAS           alias that is served and promoted                  default production
//   MLOPS_RETRAIN_DATASET       dataset name (`mlops data add … --name`), a CSV    default = MLOPS_MODEL
//   MLOPS_RETRAIN_TEXT_COLUMN   text column of the CSV and model input             default text
//   MLOPS_RETRAIN_LABEL_COLUMN  label column of the CSV                            default label
//   MLOPS_RETRAIN_DRIFT_SHARE   share of drifted input columns that is drift, 0–1  default 0.5 (text is the only one)
//   MLOPS_RETRAIN_ACCURACY_BELOW retrain when accuracy from feedback is below      default 0.8
//   MLOPS_RETRAIN_MIN_SAMPLES   fewer predictions/labels than this: trigger skipped default 30
//   MLOPS_RETRAIN_WINDOW_HOURS  prediction-log window evaluated                    default 24
//   MLOPS_RETRAIN_FEEDBACK_DAYS feedback-labelled predictions used for training   default 30
//   MLOPS_RETRAIN_MIN_ACCURACY  gate: held-out accuracy of the candidate ≥         default 0.7
//   MLOPS_RETRAIN_MAX_REGRESSION gate: accuracy not below the incumbent's by more  default 0.02
//   MLOPS_RETRAIN_GATE_MIN_ROWS gate: fewer held-out rows than this, no promotion   default 10
//   MLOPS_RETRAIN_C             inverse regularisation strength                    default 10
//   MLOPS_RETRAIN_SEED          seed of the train/test split and the profile       default 42
import { saveModelPackage } from '@mlops/core';
import { listDatasetVersions } from '@mlops/core/dataset-versions';
import { classificationReport } from '@mlops/core/metrics';
import { readLabelledWindow } from '@mlops/core/predictions';
import { preprocessingPipeline, tfidfVectorizer } from '@mlops/core/preprocessing';
import { createProfile } from '@mlops/drift';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';

const unit = z.coerce.number().min(0).max(1);
const positiveInt = z.coerce.number().int().min(1);

/** The configuration read from the environment (zod: a typo'd threshold fails the job with the variable's name). */
export const retrainEnvSchema = z.object({
  MLOPS_MODEL: z.string().min(1).default('ticket-topic'),
  MLOPS_MODEL_ALIAS: z.string().min(1).default('production'),
  MLOPS_RETRAIN_DATASET: z.string().min(1).optional(),
  MLOPS_RETRAIN_TEXT_COLUMN: z.string().min(1).default('text'),
  MLOPS_RETRAIN_LABEL_COLUMN: z.string().min(1).default('label'),
  MLOPS_RETRAIN_DRIFT_SHARE: unit.default(0.5),
  MLOPS_RETRAIN_ACCURACY_BELOW: unit.default(0.8),
  MLOPS_RETRAIN_MIN_SAMPLES: positiveInt.default(30),
  MLOPS_RETRAIN_WINDOW_HOURS: z.coerce.number().positive().default(24),
  MLOPS_RETRAIN_FEEDBACK_DAYS: z.coerce.number().positive().default(30),
  MLOPS_RETRAIN_MIN_ACCURACY: unit.default(0.7),
  MLOPS_RETRAIN_MAX_REGRESSION: unit.default(0.02),
  MLOPS_RETRAIN_GATE_MIN_ROWS: positiveInt.default(10),
  MLOPS_RETRAIN_C: z.coerce.number().positive().default(10),
  MLOPS_RETRAIN_SEED: z.coerce.number().int().default(42),
});

/** Parses the configuration; an empty variable counts as unset (compose passes `${X:-}` as ''). */
export function readRetrainEnv(env = process.env) {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = retrainEnvSchema.safeParse(set);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid retrain configuration: ${issues}`);
  }
  return r.data;
}

/** A small deterministic PRNG (mulberry32) for the split. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stratified split: about `testShare` of each class goes to test (at least one row when a class has two or more). */
export function stratifiedSplit(labels, testShare, seed) {
  const rand = random(seed);
  const byClass = new Map();
  for (const [i, l] of labels.entries()) byClass.set(l, [...(byClass.get(l) ?? []), i]);
  const train = [];
  const test = [];
  for (const idx of byClass.values()) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const n = idx.length < 2 ? 0 : Math.max(1, Math.round(idx.length * testShare));
    test.push(...idx.slice(0, n));
    train.push(...idx.slice(n));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * The train/test split of a retraining: the dataset rows split as `stratifiedSplit` splits the dataset alone (so the
 * held-out dataset rows are the ones a version trained on this dataset version without feedback, such as the seed,
 * never saw), and the feedback rows split on their own. Indices run over the dataset rows, then the feedback rows.
 * The gate scores the candidate and the incumbent on `test`: rows neither trained on, as far as this job knows.
 */
export function holdoutSplit(datasetLabels, feedbackLabels, testShare, seed) {
  const data = stratifiedSplit(datasetLabels, testShare, seed);
  const fb = stratifiedSplit(feedbackLabels, testShare, seed + 1);
  const n = datasetLabels.length;
  return {
    train: [...data.train, ...fb.train.map((i) => i + n)],
    test: [...data.test, ...fb.test.map((i) => i + n)],
  };
}

/** The rows of the newest version of `name` (a single CSV file in the object store, verified on read). */
export async function loadLatestDataset({ store, objects, name, textColumn, labelColumn }) {
  const [latest] = await listDatasetVersions(store, name);
  if (!latest) throw new Error(`dataset "${name}" has no version in the store (version one with: mlops data add)`);
  if (latest.type !== 'file') throw new Error(`dataset ${name}@${latest.version} is a directory; expected one CSV`);
  const rows = parseCsv(await objects.readBytes(latest.digest), { columns: true, skip_empty_lines: true, bom: true });
  const texts = [];
  const labels = [];
  for (const r of rows) {
    const text = r[textColumn];
    const label = r[labelColumn];
    if (text === undefined || label === undefined) {
      throw new Error(`dataset ${name}@${latest.version} has no "${textColumn}" and "${labelColumn}" columns`);
    }
    if (text.trim() === '' || label.trim() === '') continue;
    texts.push(text);
    labels.push(label);
  }
  return { version: latest.version, digest: latest.digest, texts, labels };
}

/** Predictions of `model` with a feedback label in the last `days` days: their text input and the true label. */
export async function loadFeedback({ store, model, textColumn, days, now = new Date() }) {
  const labelled = await readLabelledWindow({
    store,
    model,
    from: new Date(now.getTime() - days * 86_400_000),
    limit: 1_000_000,
  });
  const texts = [];
  const labels = [];
  for (const l of labelled) {
    const text = l.prediction.inputs[textColumn];
    if (typeof text !== 'string' || (typeof l.label !== 'string' && typeof l.label !== 'number')) continue;
    texts.push(text);
    labels.push(String(l.label));
  }
  return { texts, labels };
}

/**
 * Trains the text classifier on the newest version of the dataset (plus, with `feedback`, every prediction labelled by
 * feedback in the last MLOPS_RETRAIN_FEEDBACK_DAYS), saves its model package in `objects`, registers it as a new
 * version of MLOPS_MODEL with its reference profile, and returns the version and the held-out rows it did not train on.
 */
export async function trainAndRegister({ store, registry, objects, env, feedback: withFeedback, tags, describe, run }) {
  const model = env.MLOPS_MODEL;
  const dataset = env.MLOPS_RETRAIN_DATASET ?? model;
  const textColumn = env.MLOPS_RETRAIN_TEXT_COLUMN;
  const labelColumn = env.MLOPS_RETRAIN_LABEL_COLUMN;
  const tfidf = { column: textColumn, ngramRange: [1, 2], sublinearTf: true };
  const data = await loadLatestDataset({ store, objects, name: dataset, textColumn, labelColumn });
  const feedback = withFeedback
    ? await loadFeedback({ store, model, textColumn, days: env.MLOPS_RETRAIN_FEEDBACK_DAYS })
    : { texts: [], labels: [] };
  const texts = [...data.texts, ...feedback.texts];
  const labels = [...data.labels, ...feedback.labels];
  if (new Set(labels).size < 2) throw new Error(`need at least two classes to train, got ${new Set(labels).size}`);
  const split = holdoutSplit(data.labels, feedback.labels, 0.2, env.MLOPS_RETRAIN_SEED);
  const pick = (idx, xs) => idx.map((i) => xs[i]);
  const trainTexts = pick(split.train, texts);
  const { fitted, output } = preprocessingPipeline([tfidfVectorizer(tfidf)]).fitTransform({
    [textColumn]: trainTexts,
  });
  const trained = await linearTrainer({ C: env.MLOPS_RETRAIN_C, maxIter: 200 }).fit(
    { x: output, y: pick(split.train, labels) },
    {},
  );
  const testTexts = pick(split.test, texts);
  const predicted = Array.from(trained.predict(fitted.transform({ [textColumn]: testTexts })), String);
  const report = classificationReport(pick(split.test, labels), predicted);
  const metrics = { accuracy: report.accuracy, macro_f1: report.macro.f1 };
  const signature = {
    inputs: [{ name: textColumn, type: 'string' }],
    outputs: linearOutputSignature(trained),
  };
  const pkg = await saveModelPackage({
    objects,
    store,
    flavor: linearFlavor(),
    model: trained,
    signature,
    preprocessing: fitted,
    metrics,
    lineage: { datasetVersions: [`${dataset}@${data.version}`] },
  });
  const trainPredicted = Array.from(trained.predict(output), String);
  const profile = createProfile(
    { [textColumn]: trainTexts, label: trainPredicted },
    { seed: env.MLOPS_RETRAIN_SEED, columnMapping: { text: [textColumn], prediction: 'label' } },
  );
  const v = await registry.createVersion({
    model,
    packageDigest: pkg.digest,
    flavor: linearFlavor().name,
    signature,
    profile,
    metrics,
    datasetVersions: [{ name: dataset, version: data.version }],
    // The retraining's tracked run (the policy's, linked from its decision) is the version's source run.
    ...(run ? { sourceRunId: run.id } : {}),
    tags: {
      ...tags,
      trainRows: String(split.train.length),
      testRows: String(split.test.length),
      feedbackRows: String(feedback.texts.length),
    },
    description: describe(`${dataset}@${data.version.slice(0, 12)} + ${feedback.texts.length} feedback labels`),
  });
  if (run) {
    await run.logParams({ C: env.MLOPS_RETRAIN_C, trainRows: split.train.length, testRows: split.test.length });
    await run.logMetrics(metrics);
    await run.logDatasetVersion({ name: dataset, version: data.version, role: 'train' });
  }
  return {
    version: v.version,
    metrics,
    holdout: {
      name: `held-out ${Math.round(0.2 * 100)}% of ${dataset}@${data.version.slice(0, 12)} + feedback`,
      inputs: { [textColumn]: testTexts },
      labels: pick(split.test, labels),
      datasetVersion: `${dataset}@${data.version}`,
    },
  };
}

/**
 * The seed step of a new deployment, through the same command: `mlops retrain deploy/retrain.config.mjs --export
 * createSeedPolicy`. While MLOPS_MODEL has no version behind MLOPS_MODEL_ALIAS, it trains the first version on the
 * dataset (as `createPolicy` retrains, without feedback), registers it and points the alias at it (compare-and-set on
 * "no alias yet", so two seeds racing make one winner); once the alias exists it does nothing (exit 0). A policy-like
 * object (`evaluate`, `runOnce`) for `mlops retrain`.
 * @param {{ store: import('@mlops/core').Store, registry: import('@mlops/registry').Registry, objects: import('@mlops/core').ObjectStore }} ctx
 */
export function createSeedPolicy({ store, registry, objects }, env = readRetrainEnv()) {
  const model = env.MLOPS_MODEL;
  const alias = env.MLOPS_MODEL_ALIAS;
  const current = async () => {
    try {
      return await registry.resolve({ model, alias });
    } catch (err) {
      if (err?.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  };
  return {
    model,
    alias,
    async evaluate() {
      const incumbent = await current();
      return incumbent
        ? { triggered: false, version: incumbent.version, reasons: [] }
        : { triggered: true, reasons: [{ trigger: 'seed', detail: `${model}@${alias} does not exist yet` }] };
    },
    async runOnce() {
      const incumbent = await current();
      if (incumbent) return { status: 'no-action', incumbentVersion: incumbent.version, candidateVersion: null };
      try {
        await registry.createModel({ name: model, description: 'registered by the seed step of deploy/' });
      } catch (err) {
        if (err?.code !== 'CONFLICT') throw err; // it exists (a version without the alias, or a concurrent seed)
      }
      const { version, metrics } = await trainAndRegister({
        store,
        registry,
        objects,
        env,
        feedback: false,
        tags: { trigger: 'seed' },
        describe: (d) => `seed: first version, trained on ${d}`,
      });
      await registry.promote({
        model,
        alias,
        version,
        expectedIncumbent: null,
        principal: 'retrain-job',
        reason: 'seed: first version',
      });
      return { status: 'promoted', candidateVersion: version, incumbentVersion: null, metrics };
    },
  };
}

/**
 * The policy factory `mlops retrain` calls with the resources it opened from its flags (`--store`, `--objects`).
 * @param {{ store: import('@mlops/core').Store, registry: import('@mlops/registry').Registry, objects: import('@mlops/core').ObjectStore }} ctx
 */
export function createPolicy({ store, registry, objects }, env = readRetrainEnv()) {
  const model = env.MLOPS_MODEL;
  const alias = env.MLOPS_MODEL_ALIAS;
  const textColumn = env.MLOPS_RETRAIN_TEXT_COLUMN;

  return createContinuousTrainingPolicy({
    store,
    registry,
    model,
    alias,
    triggers: { drift: true, performance: true },
    // @mlops/monitoring's settings and thresholds: the ones stored with the served version (tag mlops.monitoring)
    // win field by field, so the server's alerts and this job cross the same thresholds.
    monitoring: {
      windowMs: Math.round(env.MLOPS_RETRAIN_WINDOW_HOURS * 3_600_000),
      minSamples: env.MLOPS_RETRAIN_MIN_SAMPLES,
      features: [textColumn],
      driftShare: env.MLOPS_RETRAIN_DRIFT_SHARE,
      minimums: { accuracy: env.MLOPS_RETRAIN_ACCURACY_BELOW },
    },
    drift: { columnMapping: { text: [textColumn] } },
    // Fair gate: the candidate and the incumbent are both loaded from their model packages and scored on the same
    // labelled rows — the held-out split `retrain` returns as `holdout` — not the candidate's fresh figure against
    // the incumbent's registered one.
    compare: { objects, flavors: [linearFlavor()], minSamples: env.MLOPS_RETRAIN_GATE_MIN_ROWS },
    gate: {
      all: [
        { metric: 'accuracy', op: 'gte', value: env.MLOPS_RETRAIN_MIN_ACCURACY },
        { metric: 'accuracy', notWorseThanIncumbentBy: env.MLOPS_RETRAIN_MAX_REGRESSION, direction: 'max' },
      ],
    },
    principal: 'retrain-job',
    retrain: async (ctx) => {
      const trigger = ctx.reasons.map((r) => r.trigger).join(',');
      const { version, holdout } = await trainAndRegister({
        store,
        registry,
        objects,
        env,
        feedback: true,
        tags: { trigger, retrainDecision: ctx.decisionId },
        describe: (d) => `retrained by ${trigger.replaceAll(',', ', ')} on ${d}`,
        run: ctx.run,
      });
      return { version, holdout };
    },
  });
}
