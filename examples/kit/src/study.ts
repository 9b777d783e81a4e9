// The examples tune through `createStudy` (@mlops/pipelines). A study opens its own run (the study run, parent of one
// run per trial); the examples also keep a run of their own open for the later steps (test metrics, ONNX parity, the
// registry's source run). This nests the study run under it, so the dashboard shows one tree:
// example run → study run → trial runs.
import type { Tracker } from '@mlops/core/tracking';

/** A tracker whose runs started without a parent become children of `parentRunId` (the others keep theirs). */
export function nestedTracker(tracker: Tracker, parentRunId: string): Tracker {
  return {
    ...tracker,
    startRun: (options) => tracker.startRun({ ...options, parentRunId: options.parentRunId ?? parentRunId }),
  };
}
