import { z } from 'zod';
import { invalidInput, zodIssues } from '../validation.js';
import { type ClassLabel, checkPair, invalid, uniqueLabels } from './_labels.js';
import { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1, type ZeroDivision } from './classification.js';
import { prAuc, type RankingScores, rocAuc } from './ranking.js';

const label = z.union([z.string(), z.number()]);
const averaged = z.object({ precision: z.number(), recall: z.number(), f1: z.number() });

/** zod schema of a {@link ClassificationReport}: validate one read back from storage with it. */
export const classificationReportSchema = z.object({
  kind: z.literal('mlops.core/classification-report'),
  schemaVersion: z.literal(1),
  n: z.number().int().positive(),
  labels: z.array(label),
  accuracy: z.number(),
  balancedAccuracy: z.number(),
  perClass: z.array(
    z.object({ label, precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int() }),
  ),
  macro: averaged,
  weighted: averaged,
  micro: averaged,
  confusionMatrix: z.object({ labels: z.array(label), matrix: z.array(z.array(z.number().int())) }),
  /** null without scores, or when undefined (a class with no positive or no negative sample). */
  rocAuc: z.number().nullable(),
  prAuc: z.number().nullable(),
});

/** Every classification metric of one evaluation, as one versioned JSON object. */
export type ClassificationReport = z.infer<typeof classificationReportSchema>;

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** Scores for ROC-AUC / PR-AUC: one per sample for `posLabel`, or one probability row per sample in `labels` order. @default undefined (no AUCs) */
  scores?: RankingScores;
  /** Classes to report, in order (also the column order of a probability matrix). @default sorted union of yTrue and yPred */
  labels?: ClassLabel[];
  /** Class the binary scores are for. @default the greater label */
  posLabel?: ClassLabel;
  /** Value of undefined precision / recall. @default 0 */
  zeroDivision?: ZeroDivision;
}

function aucDefined(yTrue: readonly ClassLabel[], classes: readonly ClassLabel[]): boolean {
  return classes.every((c) => {
    let pos = 0;
    for (const y of yTrue) if (y === c) pos++;
    return pos > 0 && pos < yTrue.length;
  });
}

/**
 * Bundles accuracy, balanced accuracy, per-class / macro / weighted / micro precision-recall-F1, the confusion
 * matrix and, with scores, ROC-AUC and PR-AUC into one zod-validated JSON object.
 */
export function classificationReport(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  options: ClassificationReportOptions = {},
): ClassificationReport {
  checkPair(yTrue, yPred);
  const labels = options.labels ?? uniqueLabels(yTrue, yPred);
  const prf = precisionRecallF1(yTrue, yPred, {
    labels,
    ...(options.zeroDivision === undefined ? {} : { zeroDivision: options.zeroDivision }),
  });
  let roc: number | null = null;
  let pr: number | null = null;
  const scores = options.scores;
  if (scores !== undefined) {
    if (scores.length !== yTrue.length)
      invalid(`scores has ${scores.length} entries, expected ${yTrue.length}`, 'scores');
    const matrix = scores.length > 0 && typeof scores[0] !== 'number';
    let classes: ClassLabel[];
    if (matrix) classes = labels;
    else {
      const present = uniqueLabels(yTrue);
      const pos = options.posLabel ?? (present.length === 2 ? present[1] : undefined);
      classes = pos === undefined ? [] : [pos];
    }
    const ropts = { labels, ...(options.posLabel === undefined ? {} : { posLabel: options.posLabel }) };
    if (classes.length > 0 && aucDefined(yTrue, classes)) {
      roc = rocAuc(yTrue, scores, ropts);
      pr = prAuc(yTrue, scores, ropts);
    } else if (!matrix && options.posLabel !== undefined) {
      pr = prAuc(yTrue, scores, ropts);
    }
  }
  const report = {
    kind: 'mlops.core/classification-report' as const,
    schemaVersion: 1 as const,
    n: yTrue.length,
    labels: prf.labels,
    accuracy: accuracy(yTrue, yPred),
    balancedAccuracy: balancedAccuracy(yTrue, yPred),
    perClass: prf.perClass,
    macro: prf.macro,
    weighted: prf.weighted,
    micro: prf.micro,
    confusionMatrix: confusionMatrix(yTrue, yPred, { labels }),
    rocAuc: roc,
    prAuc: pr,
  };
  return parseClassificationReport(report);
}

/** Validates a classification report (e.g. read back from the registry); INVALID_INPUT with field paths otherwise. */
export function parseClassificationReport(json: unknown): ClassificationReport {
  const r = classificationReportSchema.safeParse(json);
  if (!r.success) {
    throw invalidInput('invalid classification report', zodIssues(r.error));
  }
  return r.data;
}
