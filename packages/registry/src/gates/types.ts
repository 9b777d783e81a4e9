// The gate types: what a promotion gate is, what it sees, and the evidence it leaves.
import type { ModelVersion } from '../records.js';

/** Comparison operators of a threshold gate. */
export type GateOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

/** `metric <op> value`, on the candidate: `{ metric: 'f1', op: 'gte', value: 0.8 }`. */
export interface MetricThresholdGate {
  metric: string;
  op: GateOp;
  value: number;
}

/** What a relative gate does when the alias has no incumbent yet. */
export type IfNoIncumbent = 'pass' | 'fail';

/**
 * The candidate is not worse than the incumbent by more than `notWorseThanIncumbentBy` (≥ 0):
 * `candidate ≥ incumbent − d` for `direction: 'max'` (higher is better), `candidate ≤ incumbent + d` for `'min'`.
 */
export interface NotWorseThanIncumbentGate {
  metric: string;
  notWorseThanIncumbentBy: number;
  direction: 'max' | 'min';
  /** @default 'pass' */
  ifNoIncumbent?: IfNoIncumbent;
}

/**
 * The candidate beats the incumbent by at least `improvesOnIncumbentBy` (≥ 0):
 * `candidate ≥ incumbent + d` for `direction: 'max'`, `candidate ≤ incumbent − d` for `'min'`.
 */
export interface ImprovesOnIncumbentGate {
  metric: string;
  improvesOnIncumbentBy: number;
  direction: 'max' | 'min';
  /** @default 'pass' */
  ifNoIncumbent?: IfNoIncumbent;
}

/** The data a {@link GateComparison} was measured on: what it is, how many labelled rows, when, which version. */
export interface GateComparisonData {
  /** What the data is, e.g. `labelled window of the prediction log` or `runs since the fault`. */
  name: string;
  /** Where it came from, e.g. `window` (the recent labelled window) or `holdout` (a held-out set). */
  source?: string;
  /** Labelled rows both models were scored on. */
  rows: number;
  /** Start of the time range the rows cover (ISO 8601). */
  from?: string;
  /** End of the time range the rows cover (ISO 8601). */
  to?: string;
  /** The dataset version the rows come from, e.g. `secom@sha256:…`. */
  datasetVersion?: string;
}

/**
 * The figures of the candidate and of the incumbent measured ON THE SAME DATA (what the continuous-training policy
 * sends with a promotion). When a promotion carries one, its gates read these figures instead of the versions'
 * registered metrics: a relative gate compares the two models on `data`, never a fresh figure with an old one.
 */
export interface GateComparison {
  data: GateComparisonData;
  /** The candidate (the promoted version) and its figures on `data`. */
  candidate: { version: number; metrics: Record<string, number> };
  /** The incumbent the figures were measured against (`null`: there was none), and its figures on `data`. */
  incumbent: { version: number; metrics: Record<string, number> } | null;
}

/** What the gate sees: the candidate and the version the alias points at now (the incumbent, if any). */
export interface GateContext {
  model: string;
  alias: string;
  candidate: ModelVersion;
  incumbent: ModelVersion | null;
  /** Both models' figures on the same data, when the promotion carries them. */
  comparison?: GateComparison;
}

/** What a custom gate returns: a boolean, or a verdict with evidence that is recorded with the decision. */
export type GateOutcome = boolean | { passed: boolean; message?: string; evidence?: Record<string, unknown> };

/** A custom gate: runs in-process only (over HTTP, gates are declarative JSON). Its `name` is recorded. */
export type GateFunction = (context: GateContext) => GateOutcome | Promise<GateOutcome>;

/** A gate tree whose leaves are comparisons or (in-process) `F`. */
export type GateNode<F> =
  | MetricThresholdGate
  | NotWorseThanIncumbentGate
  | ImprovesOnIncumbentGate
  | { all: readonly GateNode<F>[] }
  | { any: readonly GateNode<F>[] }
  | { not: GateNode<F> }
  | F;

/** A gate that can travel as JSON (over HTTP): comparisons and their combinations. */
export type DeclarativeGate = GateNode<never>;

/** A gate in-process: declarative nodes and custom functions, combined freely. */
export type Gate = GateNode<GateFunction>;

/** The evidence of one gate node: whether it passed, what it compared, and its children's evidence. */
export interface GateEvidence {
  passed: boolean;
  /** `threshold`, `notWorseThanIncumbent`, `improvesOnIncumbent`, `all`, `any`, `not`, `custom` or `none`. */
  gate: string;
  message?: string;
  children?: GateEvidence[];
  [key: string]: unknown;
}
