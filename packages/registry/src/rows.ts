// Row mappers: the columns each read selects and how a row of `registry_*` becomes a record. SQL values come back
// as strings, numbers or Dates depending on the driver; these normalise them.
import type {
  Alias,
  AliasHistoryEntry,
  AuditAction,
  AuditEntry,
  Decision,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
} from './records.js';

/** A row as the store returns it. */
export type Row = Record<string, unknown>;

export const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A value as a jsonb parameter. */
export const json = (v: unknown): string => JSON.stringify(v);

/** The columns {@link toModel} reads from `registry_models`. */
export const MODEL_COLS = 'name, description, tags, created_by, created_at, updated_at';

export function toModel(r: Row): RegisteredModel {
  return {
    name: String(r.name),
    description: String(r.description),
    tags: (r.tags ?? {}) as Record<string, string>,
    createdBy: String(r.created_by),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** The columns {@link toVersion} reads from `registry_versions v` (with the version's aliases, never its profile). */
export const VERSION_COLS = `v.model, v.version, v.package_digest, v.flavor, v.signature, (v.profile IS NOT NULL) AS has_profile,
  v.metrics, v.source_run_id, v.dataset_versions, v.tags, v.description, v.status, v.created_by, v.created_at,
  v.updated_at, COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM registry_aliases a
    WHERE a.model = v.model AND a.version = v.version), '{}'::text[]) AS aliases`;

export function toVersion(r: Row): ModelVersion {
  return {
    model: String(r.model),
    version: num(r.version),
    packageDigest: String(r.package_digest),
    flavor: String(r.flavor),
    signature: (r.signature ?? null) as ModelVersion['signature'],
    hasProfile: Boolean(r.has_profile),
    metrics: (r.metrics ?? {}) as Record<string, number>,
    sourceRunId: (r.source_run_id ?? null) as string | null,
    datasetVersions: (r.dataset_versions ?? []) as ModelVersion['datasetVersions'],
    tags: (r.tags ?? {}) as Record<string, string>,
    description: String(r.description ?? ''),
    status: r.status as ModelVersion['status'],
    aliases: (r.aliases ?? []) as string[],
    createdBy: String(r.created_by),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** The columns {@link toAlias} reads from `registry_aliases`. */
export const ALIAS_COLS = 'model, alias, version, updated_by, updated_at';

export function toAlias(r: Row): Alias {
  return {
    model: String(r.model),
    alias: String(r.alias),
    version: num(r.version),
    updatedBy: String(r.updated_by),
    updatedAt: iso(r.updated_at),
  };
}

export function toHistory(r: Row): AliasHistoryEntry {
  return {
    id: num(r.id),
    model: String(r.model),
    alias: String(r.alias),
    action: r.action as AliasHistoryEntry['action'],
    fromVersion: numOrNull(r.from_version),
    toVersion: numOrNull(r.to_version),
    stack: ((r.stack ?? []) as unknown[]).map(Number),
    decisionId: numOrNull(r.decision_id),
    principal: String(r.principal),
    reason: (r.reason ?? null) as string | null,
    at: iso(r.at),
  };
}

export function toDecision(r: Row): Decision {
  return {
    id: num(r.id),
    model: String(r.model),
    alias: String(r.alias),
    candidateVersion: num(r.candidate_version),
    incumbentVersion: numOrNull(r.incumbent_version),
    passed: Boolean(r.passed),
    gate: r.gate ?? null,
    evidence: (r.evidence ?? {}) as Record<string, unknown>,
    principal: String(r.principal),
    reason: (r.reason ?? null) as string | null,
    at: iso(r.at),
  };
}

export function toAudit(r: Row): AuditEntry {
  return {
    id: num(r.id),
    action: r.action as AuditAction,
    model: (r.model ?? null) as string | null,
    version: numOrNull(r.version),
    alias: (r.alias ?? null) as string | null,
    fromVersion: numOrNull(r.from_version),
    principal: String(r.principal),
    reason: (r.reason ?? null) as string | null,
    at: iso(r.at),
    details: (r.details ?? {}) as Record<string, unknown>,
  };
}

/** The change event of an audit entry: the entry without its details. */
export function eventOf(entry: AuditEntry): RegistryEvent {
  const { details: _details, ...event } = entry;
  return event;
}
