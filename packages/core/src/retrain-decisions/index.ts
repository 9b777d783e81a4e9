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
  migrateRetrainDecisions,
  RETRAIN_DECISION_STATUSES,
  RETRAIN_TRIGGERS,
  recordRetrainDecision,
  retrainDecisionSchema,
  retrainReasonSchema,
} from './retrain-decisions.js';
