// @mlops/monitoring: the one window evaluator (drift of inputs and predictions against the version's reference,
// metrics from feedback, data quality, broken-feed verdicts), the monitoring settings and thresholds stored with a
// model version, and the gauges serve exports. Serve, the continuous-training policy, the dashboard and the CLI use it.

export {
  type EvaluateWindowInput,
  evaluateWindow,
  type FeatureMonitoring,
  feedbackPairs,
  feedProblems,
  MONITORING_STATUSES,
  type MonitoringStatus,
  type PredictionMonitoring,
  type ThresholdCrossing,
  type WindowDriftOptions,
  type WindowEvaluation,
  type WindowPerformance,
} from './evaluate.js';
export {
  type GaugeDefinition,
  type GaugeFamily,
  MONITORING_GAUGE_NAMES,
  MONITORING_GAUGES,
  monitoringGauges,
} from './gauges.js';
export {
  isShadowAlias,
  type MonitoringRecord,
  type MonitoringResult,
  type MonitorWindowOptions,
  monitorWindow,
  parseReference,
  SHADOW_ALIAS_PREFIX,
  toMonitoringRecord,
} from './monitor.js';
export {
  MONITORING_DEFAULTS,
  MONITORING_SETTINGS_TAG,
  type MonitoringSettings,
  monitoringSettingsFromTags,
  monitoringSettingsSchema,
  monitoringSettingsTags,
  parseMonitoringSettings,
  type ResolvedMonitoringSettings,
  type ResolvedSettingsResult,
  type ResolveMonitoringSettingsOptions,
  resolveMonitoringSettings,
  type SettingSource,
  type SettingSources,
} from './settings.js';
