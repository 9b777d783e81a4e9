// Retraining decisions: written by continuous-training policies (@mlops/pipelines), read by servers (@mlops/serve gauges).

export type {
  AbandonStaleRetrainDecisionsOptions,
  FinishRetrainDecisionOptions,
  LatestRetrainDecisionOptions,
  ListRetrainDecisionsOptions,
  RecordRetrainDecisionOptions,
  RetrainDecision,
  RetrainDecisionStatus,
  RetrainReason,
  RetrainTrigger,
} from './retrain-decisions.js';
export {
  abandonStaleRetrainDecisions,
  finishRetrainDecision,
  latestRetrainDecision,
  listRetrainDecisions,
  recordRetrainDecision,
} from './retrain-decisions.js';
