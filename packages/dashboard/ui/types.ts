// Shapes of the JSON API responses the pages read (see src/queries.ts and src/monitoring.ts). Shapes the server
// declares in src/api-types.ts (import-free) are imported from there: `import type` is erased by esbuild, so no server
// code reaches the bundle.
import type { MonitoringAlert, MonitoringBucket, MonitoringSeriesOf, RunRow } from '../src/api-types.js';

export type { MonitoringAlert, MonitoringBucket, RunRow };

export interface MetricPoint {
  value: number;
  step: number;
  timestamp: number;
}

export interface RunDetail extends RunRow {
  git: { commit: string | null; dirty: boolean | null };
  source: { entryPoint: string | null; user: string | null };
  artifacts: { name: string; digest: string; size: number }[];
  datasets: { name: string; version: string; role: string }[];
  histories: Record<string, MetricPoint[]>;
}

export interface ComparisonRow<T> {
  key: string;
  values: (T | null)[];
  differs: boolean;
}

export interface Comparison {
  runs: { id: string; name: string | null; experiment: string; status: string; startTime: string }[];
  params: ComparisonRow<string>[];
  metrics: ComparisonRow<number>[];
  histories: Record<string, Record<string, MetricPoint[]>>;
}

export interface ModelSummary {
  name: string;
  description: string;
  latestVersion: number | null;
  aliases: { alias: string; version: number }[];
  updatedAt: string;
}

export interface ModelVersion {
  model: string;
  version: number;
  flavor: string;
  metrics: Record<string, number>;
  sourceRunId: string | null;
  status: string;
  aliases: string[];
  createdAt: string;
  createdBy: string;
  description: string;
}

export interface Decision {
  id: number;
  alias: string;
  candidateVersion: number;
  incumbentVersion: number | null;
  passed: boolean;
  evidence: Record<string, unknown>;
  principal: string;
  reason: string | null;
  at: string;
}

export interface AuditEntry {
  id: number;
  action: string;
  model: string | null;
  version: number | null;
  alias: string | null;
  fromVersion: number | null;
  principal: string;
  reason: string | null;
  at: string;
}

export interface AliasHistoryEntry {
  id: number;
  alias: string;
  action: string;
  fromVersion: number | null;
  toVersion: number | null;
  principal: string;
  reason: string | null;
  at: string;
}

export interface ModelDetail {
  model: { name: string; description: string; tags: Record<string, string> };
  versions: ModelVersion[];
  aliases: { alias: string; version: number; updatedBy: string; updatedAt: string }[];
  decisions: Decision[];
  aliasHistory: AliasHistoryEntry[];
  audit: AuditEntry[];
}

/** What `GET /api/monitoring` returns, with the decision fields the page reads. */
export type MonitoringSeries = MonitoringSeriesOf<{
  id: string;
  alias: string;
  status: string;
  triggered: boolean;
  reasons: { trigger: string; message: string }[];
  incumbentVersion: number | null;
  candidateVersion: number | null;
  startedAt: string;
}>;
