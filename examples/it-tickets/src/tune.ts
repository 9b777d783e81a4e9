// Step 3 of the run: the topic model's C tuned by a study (`createStudy` from @mlops/pipelines). The study samples C
// (log-uniform), each trial fits TF-IDF + softmax on the fit part and is scored by validation macro-F1 in its own
// tracked run; the study's run is a child of the caller's run, the trials children of the study's run; the study
// picks the best.
import type { Store } from '@mlops/core';
import type { Run, Tracker } from '@mlops/core/tracking';
import { log, nestedTracker } from '@mlops/example-kit';
import { createStudy, type FloatDistribution, logUniform } from '@mlops/pipelines';
import { evaluateTextModel, trainTextModel } from './text-model.js';

/** The search space of C: log-uniform on [4, 64]. */
export const C_SPACE: FloatDistribution = logUniform(4, 64);

/** Labelled texts. */
export interface Labelled {
  texts: readonly string[];
  labels: readonly string[];
}

/** Options of {@link tuneTopicC}. */
export interface TuneOptions {
  store: Store;
  tracker: Tracker;
  /** The caller's run (left open): the study's run becomes its child. */
  parent: Run;
  /** Fitted by each trial. */
  fit: Labelled;
  /** Scores each trial (macro-F1). */
  validation: Labelled;
  /** Trials of the study. */
  trials: number;
  seed: number;
  /** Experiment of the study's runs. */
  experiment: string;
}

/** What the study found: every trial (by number) and the best one. */
export interface TuneResult {
  study: string;
  trials: { number: number; C: number; macroF1: number; runId: string }[];
  best: { number: number; C: number; macroF1: number; runId: string };
}

/** Runs the study of C and returns its trials and the best (the study's pick: highest validation macro-F1). */
export async function tuneTopicC(o: TuneOptions): Promise<TuneResult> {
  const study = await createStudy({
    store: o.store,
    // One study per run of the example: its trials belong to this run.
    name: `ticket-topic-${o.parent.id}`,
    experiment: o.experiment,
    space: { C: C_SPACE },
    direction: 'maximize',
    sampler: 'random',
    seed: o.seed,
    tracker: nestedTracker(o.tracker, o.parent.id),
  });
  const result = await study.optimize(
    async (trial) => {
      const { C } = trial.params;
      const m = await trainTextModel(o.fit.texts, o.fit.labels, { C }, trial.run);
      const rep = evaluateTextModel(m, o.validation.texts, o.validation.labels);
      await trial.run.logMetrics({ val_macro_f1: rep.macro.f1, val_accuracy: rep.accuracy });
      log('tune', `trial ${trial.number}: C=${C}`, { val_macro_f1: rep.macro.f1, val_accuracy: rep.accuracy });
      return rep.macro.f1;
    },
    { trials: o.trials, progress: process.stderr.isTTY ? 'tty' : 'silent' },
  );
  const trials = result.trials.map((t) => ({
    number: t.number,
    C: t.params.C,
    macroF1: t.value ?? Number.NaN,
    runId: t.runId ?? '',
  }));
  const best = trials.find((t) => t.number === result.best?.number);
  if (!best) throw new Error(`study ${study.name} finished without a complete trial`);
  await o.parent.logParams({ best_C: best.C, best_trial: best.number });
  log('tune', 'best trial', { trial: best.number, C: best.C, val_macro_f1: best.macroF1 });
  return { study: study.name, trials, best };
}
