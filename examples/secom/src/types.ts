// What the serving, monitoring and continuous-training steps produce (in the result and the report).
import type { Frame } from '@mlops/core/preprocessing';
import type { GateComparison } from '@mlops/registry';
import type { HoldoutMetrics } from './metrics.js';

/** Accuracy of one replayed stream: estimated before labels vs realized after feedback. */
export interface EstimateRow {
  stream: string;
  n: number;
  estimated: number;
  lower: number;
  upper: number;
  realized: number;
}

/** One replayed window: what the server predicted, scored against the feedback in the store, and its drift. */
export interface WindowResult {
  from: string;
  to: string;
  runs: number;
  injected: boolean;
  /** Versions that answered (comma-separated). */
  versions: string;
  /** Predictions of the window found in the log with feedback. */
  labelled: number;
  fails: number;
  flagged: number;
  caught: number;
  /** Fail recall at the decision threshold (null without fails). */
  recall: number | null;
  /** Fail precision at the decision threshold (null when nothing was flagged). */
  precision: number | null;
  accuracy: number;
  /** Accuracy at the threshold estimated from the served probabilities alone, before labels (CBPE), and its 95 % interval. */
  estimatedAccuracy: number;
  estimatedLower: number;
  estimatedUpper: number;
  /** Share of all kept sensors drifted in this window. */
  driftedShare: number;
  /** How many of the monitored sensors drifted in this window. */
  monitoredDrifted: number;
}

/** One decision of the continuous-training policy during the replay. */
export interface PolicyCheck {
  afterWindow: number;
  status: string;
  reasons: string[];
  driftedSensors: string[];
}

/** The runs of one replayed window as the server saw them (injected readings included) and what it answered. */
export interface ReplayedWindow {
  frame: Frame;
  y: number[];
  scores: number[];
  injected: boolean;
}

/** What continuous training did. */
export interface RetrainSummary {
  version: number;
  status: string;
  trainRows: number;
  holdoutRows: number;
  holdoutFails: number;
  /** Sensors flagged by the drift check and left out of the retraining. */
  untrusted: string[];
  candidate: HoldoutMetrics;
  incumbent: HoldoutMetrics;
  /** What the gate compared: both models loaded from the registry and scored on the same runs. */
  comparison?: GateComparison;
  /** The incumbent's registered PR-AUC (measured on its own test runs: not what the gate compares). */
  registeredIncumbentPrAuc?: number;
  reason: string;
  rolledBackTo?: number;
}

/** The calibrator fitted on the validation runs, as the result and the report show it. */
export interface CalibrationSummary {
  rows: number;
  method: string;
  ece: { before: number; after: number };
}

/** The data-quality figures the report and the promotion gate use. */
export interface DataQualitySummary {
  missingShare: number;
  constant: number;
  mostlyMissing: number;
  failShare: number;
}
