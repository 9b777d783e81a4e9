// Types of the helpers of deploy/retrain.config.mjs that TypeScript code imports (docs/tutorial.md's train.ts splits
// its data as the retraining job does). The module's other exports are used from JavaScript only.

/** Stratified split: about `testShare` of each class goes to test (at least one row when a class has two or more). */
export function stratifiedSplit(
  labels: readonly string[],
  testShare: number,
  seed: number,
): { train: number[]; test: number[] };

/**
 * The train/test split of a retraining: the dataset rows split as `stratifiedSplit` splits the dataset alone, the
 * feedback rows on their own; indices run over the dataset rows, then the feedback rows.
 */
export function holdoutSplit(
  datasetLabels: readonly string[],
  feedbackLabels: readonly string[],
  testShare: number,
  seed: number,
): { train: number[]; test: number[] };
