// Retraining decisions: written by continuous-training policies (@mlops/pipelines), read by servers (@mlops/serve gauges).

export type {
  AbandonStaleRetrainDecisionsOptions,
  FinishRetrainDecisionOptions,
  GetRetrainDecisionOptions,
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
  getRetrainDecision,
  latestRetrainDecision,
  listRetrainDecisions,
  recordRetrainDecision,
} from './retrain-decisions.js';
