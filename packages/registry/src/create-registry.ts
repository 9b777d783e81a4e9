import { userInfo } from 'node:os';
import {
  MlopsError,
  migrateObjectRefs,
  type ObjectStore,
  parseInput,
  recordObjectRef,
  removeObjectRefs,
  type Store,
} from '@mlops/core';
import { decodeCursor, encodeCursor } from './_internal/cursor.js';
import { createEventHub, registryChannel } from './events.js';
import { describeGate, evaluateGate, type GateEvidence, hasGateFunction, inProcessGateSchema } from './gates.js';
import { REGISTRY_MIGRATIONS, REGISTRY_NAMESPACE } from './migrations/index.js';
import { DEFAULT_MAX_PROFILE_BYTES, jsonByteLength, type ReferenceProfile } from './profile.js';
import {
  aliasHistoryInputSchema,
  aliasRefSchema,
  createModelInputSchema,
  createVersionInputSchema,
  deleteAliasInputSchema,
  deleteModelInputSchema,
  deleteVersionInputSchema,
  listAuditInputSchema,
  listDecisionsInputSchema,
  listModelsInputSchema,
  listVersionsInputSchema,
  modelNameSchema,
  promoteInputSchema,
  rollbackInputSchema,
  setAliasInputSchema,
  subscribeFilterSchema,
  updateModelInputSchema,
  updateVersionInputSchema,
  versionRefSchema,
} from './schemas.js';
import type {
  Alias,
  AliasHistoryEntry,
  AuditAction,
  AuditEntry,
  Decision,
  ModelVersion,
  Page,
  PromotionResult,
  RegisteredModel,
  Registry,
  RegistryEvent,
} from './types.js';

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** The store holding the registry's tables (`registry_*`, migrated on creation). */
  store: Store;
  /**
   * When given, `createVersion` checks that the model package blob exists (`NOT_FOUND` otherwise).
   * @default undefined (digests are taken on trust)
   */
  objects?: Pick<ObjectStore, 'has'>;
  /**
   * Cross-process change events through PostgreSQL `LISTEN/NOTIFY` (PostgreSQL stores only; on PGlite events are
   * in-process only, whatever this says).
   * @default true
   */
  events?: boolean;
  /**
   * The principal recorded for writes that name none.
   * @default `local:<OS user name>`
   */
  principal?: string;
  /**
   * Largest serialized reference profile accepted, in bytes.
   * @default 16 MiB
   */
  maxProfileBytes?: number;
  /**
   * How many previous targets an alias's rollback stack keeps (the oldest are dropped first).
   * @default 100
   */
  maxRollbackDepth?: number;
}

const DEFAULT_LIMIT = 100;
const PROMOTE_ATTEMPTS = 5;

function defaultPrincipal(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local:unknown';
  }
}

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = (v: unknown): string => JSON.stringify(v);

const MODEL_COLS = 'name, description, tags, created_by, created_at, updated_at';

function toModel(r: Record<string, unknown>): RegisteredModel {
  return {
    name: String(r.name),
    description: String(r.description),
    tags: (r.tags ?? {}) as Record<string, string>,
    createdBy: String(r.created_by),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const VERSION_COLS = `v.model, v.version, v.package_digest, v.flavor, v.signature, (v.profile IS NOT NULL) AS has_profile,
  v.metrics, v.source_run_id, v.dataset_versions, v.tags, v.description, v.status, v.created_by, v.created_at,
  v.updated_at, COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM registry_aliases a
    WHERE a.model = v.model AND a.version = v.version), '{}'::text[]) AS aliases`;

function toVersion(r: Record<string, unknown>): ModelVersion {
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

function toAlias(r: Record<string, unknown>): Alias {
  return {
    model: String(r.model),
    alias: String(r.alias),
    version: num(r.version),
    updatedBy: String(r.updated_by),
    updatedAt: iso(r.updated_at),
  };
}

function toHistory(r: Record<string, unknown>): AliasHistoryEntry {
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

function toDecision(r: Record<string, unknown>): Decision {
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

function toAudit(r: Record<string, unknown>): AuditEntry {
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

function eventOf(entry: AuditEntry): RegistryEvent {
  const { details: _details, ...event } = entry;
  return event;
}

/** Builds a page from `limit + 1` rows: the extra row only says that there is a next page. */
function page<T>(rows: T[], limit: number, cursorOf: (last: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

function mergeTags(
  current: Record<string, string>,
  set: Record<string, string> | undefined,
  remove: string[] | undefined,
): Record<string, string> {
  const out = { ...current, ...set };
  for (const k of remove ?? []) delete out[k];
  return out;
}

function notFoundModel(name: string): MlopsError {
  return new MlopsError('NOT_FOUND', { message: `Model "${name}" does not exist`, details: { model: name } });
}

function notFoundVersion(model: string, version: number): MlopsError {
  return new MlopsError('NOT_FOUND', {
    message: `Version ${version} of model "${model}" does not exist`,
    details: { model, version },
  });
}

function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23503';
}

/** First failing leaf message of an evidence tree, for error messages. */
function firstFailure(e: GateEvidence): string | undefined {
  if (e.passed && e.gate !== 'not') return undefined;
  for (const c of e.children ?? []) {
    const m = firstFailure(c);
    if (m) return m;
  }
  return e.message ?? (e.passed ? undefined : `${e.gate} gate failed`);
}

/**
 * Opens the model registry on a store: registered models, auto-numbered versions, aliases with history, gated
 * promotion, rollback, an append-only audit log and change events. Migrates its tables on first use.
 *
 * Every write runs in one transaction that also appends its audit entry; the change event is delivered to
 * in-process subscribers after commit and, on PostgreSQL, to other processes through `NOTIFY` (sent on commit).
 *
 * @example
 * const registry = await createRegistry({ store: await createStore('memory://') });
 * await registry.createModel({ name: 'churn' });
 * const v1 = await registry.createVersion({ model: 'churn', packageDigest, flavor: 'linear', metrics: { f1: 0.81 } });
 * await registry.promote({ model: 'churn', version: v1.version, alias: 'production', gate: { metric: 'f1', op: 'gte', value: 0.8 } });
 */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const { store } = options;
  const principalDefault = options.principal ?? defaultPrincipal();
  const maxProfileBytes = options.maxProfileBytes ?? DEFAULT_MAX_PROFILE_BYTES;
  const maxDepth = options.maxRollbackDepth ?? 100;

  await store.migrate(REGISTRY_NAMESPACE, REGISTRY_MIGRATIONS);
  await migrateObjectRefs(store);
  const crossProcess = options.events !== false && store.driver === 'postgres' && typeof store.listen === 'function';
  const hub = createEventHub(store, crossProcess ? await registryChannel(store) : undefined);

  /** Runs a write transaction; its change events are delivered in-process once it has committed. */
  async function write<T>(fn: (tx: Store, audit: (entry: AuditInput) => Promise<AuditEntry>) => Promise<T>) {
    let events: RegistryEvent[] = [];
    const result = await store.transaction(async (tx) => {
      events = [];
      const audit = async (entry: AuditInput) => {
        const [row] = await tx.query<Record<string, unknown>>(
          `INSERT INTO registry_audit (principal, action, model, version, alias, from_version, reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING *`,
          [
            entry.principal,
            entry.action,
            entry.model ?? null,
            entry.version ?? null,
            entry.alias ?? null,
            entry.fromVersion ?? null,
            entry.reason ?? null,
            json(entry.details ?? {}),
          ],
        );
        const full = toAudit(row!);
        const event = eventOf(full);
        await hub.publish(tx, event);
        events.push(event);
        return full;
      };
      return fn(tx, audit);
    });
    for (const e of events) hub.emit(e);
    return result;
  }

  async function readVersion(db: Store, model: string, version: number): Promise<ModelVersion | undefined> {
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT ${VERSION_COLS} FROM registry_versions v WHERE v.model = $1 AND v.version = $2`,
      [model, version],
    );
    return row ? toVersion(row) : undefined;
  }

  async function requireModel(db: Store, name: string, lock = ''): Promise<Record<string, unknown>> {
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT ${MODEL_COLS} FROM registry_models WHERE name = $1 ${lock}`,
      [name],
    );
    if (!row) throw notFoundModel(name);
    return row;
  }

  async function currentTarget(db: Store, model: string, alias: string): Promise<number | null> {
    const [row] = await db.query<{ version: number }>(
      'SELECT version FROM registry_aliases WHERE model = $1 AND alias = $2',
      [model, alias],
    );
    return row ? num(row.version) : null;
  }

  /**
   * Locks one alias for the rest of the transaction and returns its target and rollback stack. The alias row is
   * locked with `SELECT … FOR UPDATE`; a transaction-scoped advisory lock on (model, alias) also covers aliases
   * that do not exist yet, so two processes creating the same alias serialise too.
   */
  async function lockAlias(tx: Store, model: string, alias: string) {
    await requireModel(tx, model, 'FOR KEY SHARE');
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      'mlops.registry.alias',
      `${model}/${alias}`,
    ]);
    const [row] = await tx.query<{ version: number }>(
      'SELECT version FROM registry_aliases WHERE model = $1 AND alias = $2 FOR UPDATE',
      [model, alias],
    );
    const [hist] = await tx.query<{ stack: unknown[] }>(
      'SELECT stack FROM registry_alias_history WHERE model = $1 AND alias = $2 ORDER BY id DESC LIMIT 1',
      [model, alias],
    );
    return { current: row ? num(row.version) : null, stack: (hist?.stack ?? []).map(Number) };
  }

  /** Locks a version against deletion for the transaction and checks it can be aliased. */
  async function requireReadyVersion(tx: Store, model: string, version: number): Promise<void> {
    const [row] = await tx.query<{ status: string }>(
      'SELECT status FROM registry_versions WHERE model = $1 AND version = $2 FOR KEY SHARE',
      [model, version],
    );
    if (!row) throw notFoundVersion(model, version);
    if (row.status !== 'ready') {
      throw new MlopsError('CONFLICT', {
        message: `Version ${version} of model "${model}" has status "${row.status}"; only "ready" versions can be aliased`,
        details: { model, version, status: row.status },
      });
    }
  }

  const push = (stack: number[], v: number) => [...stack, v].slice(-maxDepth);

  /**
   * Moves a locked alias: writes the alias row (or deletes it when `to` is null), its history row and the audit
   * record (which publishes the change event).
   */
  async function moveAlias(
    tx: Store,
    audit: (entry: AuditInput) => Promise<AuditEntry>,
    m: {
      model: string;
      alias: string;
      from: number | null;
      to: number | null;
      action: AliasHistoryEntry['action'];
      stack: number[];
      principal: string;
      reason: string | undefined;
      decisionId?: number;
      details?: Record<string, unknown>;
    },
  ): Promise<Alias | null> {
    let alias: Alias | null = null;
    if (m.to === null) {
      await tx.query('DELETE FROM registry_aliases WHERE model = $1 AND alias = $2', [m.model, m.alias]);
    } else {
      const [row] = await tx.query<Record<string, unknown>>(
        `INSERT INTO registry_aliases (model, alias, version, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_by = EXCLUDED.updated_by,
           updated_at = now()
         RETURNING model, alias, version, updated_by, updated_at`,
        [m.model, m.alias, m.to, m.principal],
      );
      alias = toAlias(row!);
    }
    await tx.query(
      `INSERT INTO registry_alias_history (model, alias, action, from_version, to_version, stack, decision_id,
         principal, reason) VALUES ($1, $2, $3, $4, $5, $6::integer[], $7, $8, $9)`,
      [m.model, m.alias, m.action, m.from, m.to, m.stack, m.decisionId ?? null, m.principal, m.reason ?? null],
    );
    await audit({
      action: ALIAS_AUDIT_ACTIONS[m.action],
      model: m.model,
      alias: m.alias,
      ...(m.to === null ? {} : { version: m.to }),
      fromVersion: m.from,
      principal: m.principal,
      reason: m.reason,
      ...(m.details === undefined ? {} : { details: m.details }),
    });
    return alias;
  }

  async function insertDecision(
    tx: Store,
    d: {
      model: string;
      alias: string;
      candidate: number;
      incumbent: number | null;
      passed: boolean;
      gate: unknown;
      evidence: Record<string, unknown>;
      principal: string;
      reason: string | undefined;
    },
  ): Promise<Decision> {
    const [row] = await tx.query<Record<string, unknown>>(
      `INSERT INTO registry_decisions (model, alias, candidate_version, incumbent_version, passed, gate, evidence,
         principal, reason) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9) RETURNING *`,
      [
        d.model,
        d.alias,
        d.candidate,
        d.incumbent,
        d.passed,
        json(d.gate),
        json(d.evidence),
        d.principal,
        d.reason ?? null,
      ],
    );
    return toDecision(row!);
  }

  /**
   * One newest-first page of an append-only table, its `id` as the cursor, filtered by equality on each column
   * whose value is neither undefined nor empty.
   */
  async function pageById<T extends { id: number }>(
    table: 'registry_alias_history' | 'registry_decisions' | 'registry_audit',
    filters: Record<string, string | boolean | undefined>,
    input: { cursor?: string | undefined; limit?: number | undefined },
    toItem: (row: Record<string, unknown>) => T,
  ): Promise<Page<T>> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (condition: string, v: unknown) => {
      params.push(v);
      where.push(`${condition} $${params.length}`);
    };
    for (const [col, v] of Object.entries(filters)) if (v !== undefined && v !== '') add(`${col} =`, v);
    if (input.cursor) add('id <', decodeCursor(input.cursor, ['number'] as const)[0]);
    params.push(limit + 1);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC
       LIMIT $${params.length}`,
      params,
    );
    return page(rows.map(toItem), limit, (item) => [item.id]);
  }

  const summary = (v: ModelVersion | null) => (v ? { version: v.version, metrics: v.metrics } : null);

  const registry: Registry = {
    async createModel(raw) {
      const input = parseInput(createModelInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      return write(async (tx, audit) => {
        const [row] = await tx.query<Record<string, unknown>>(
          `INSERT INTO registry_models (name, description, tags, created_by) VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (name) DO NOTHING RETURNING ${MODEL_COLS}`,
          [input.name, input.description ?? '', json(input.tags ?? {}), principal],
        );
        if (!row) {
          throw new MlopsError('CONFLICT', {
            message: `Model "${input.name}" already exists`,
            details: { model: input.name },
          });
        }
        await audit({
          action: 'model.created',
          model: input.name,
          principal,
          reason: input.reason,
          details: { description: input.description ?? '', tags: input.tags ?? {} },
        });
        return toModel(row);
      });
    },

    async getModel(name) {
      const model = parseInput(modelNameSchema, name, 'name');
      return toModel(await requireModel(store, model));
    },

    async listModels(raw = {}) {
      const input = parseInput(listModelsInputSchema, raw);
      const limit = input.limit ?? DEFAULT_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      if (input.query) {
        params.push(input.query);
        where.push(`strpos(lower(name), lower($${params.length})) > 0`);
      }
      if (input.tags && Object.keys(input.tags).length > 0) {
        params.push(json(input.tags));
        where.push(`tags @> $${params.length}::jsonb`);
      }
      if (input.cursor) {
        const [after] = decodeCursor(input.cursor, ['string'] as const);
        params.push(after);
        where.push(`name > $${params.length}`);
      }
      params.push(limit + 1);
      const rows = await store.query<Record<string, unknown>>(
        `SELECT ${MODEL_COLS} FROM registry_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY name LIMIT $${params.length}`,
        params,
      );
      return page(rows.map(toModel), limit, (m) => [m.name]);
    },

    async updateModel(raw) {
      const input = parseInput(updateModelInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      return write(async (tx, audit) => {
        const current = toModel(await requireModel(tx, input.name, 'FOR UPDATE'));
        const tags = mergeTags(current.tags, input.tags, input.deleteTags);
        const [row] = await tx.query<Record<string, unknown>>(
          `UPDATE registry_models SET description = $2, tags = $3::jsonb, updated_at = now() WHERE name = $1
           RETURNING ${MODEL_COLS}`,
          [input.name, input.description ?? current.description, json(tags)],
        );
        await audit({
          action: 'model.updated',
          model: input.name,
          principal,
          reason: input.reason,
          details: {
            ...(input.description === undefined ? {} : { description: input.description }),
            ...(input.tags === undefined ? {} : { tags: input.tags }),
            ...(input.deleteTags === undefined ? {} : { deleteTags: input.deleteTags }),
          },
        });
        return toModel(row!);
      });
    },

    async deleteModel(raw) {
      const input = parseInput(deleteModelInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      await write(async (tx, audit) => {
        await requireModel(tx, input.name, 'FOR UPDATE');
        const aliases = await tx.query<{ alias: string; version: number }>(
          'SELECT alias, version FROM registry_aliases WHERE model = $1 ORDER BY alias',
          [input.name],
        );
        if (aliases.length > 0) {
          throw new MlopsError('CONFLICT', {
            message: `Model "${input.name}" still has aliases (${aliases.map((a) => a.alias).join(', ')}); delete them first`,
            details: { model: input.name, aliases: aliases.map((a) => ({ alias: a.alias, version: num(a.version) })) },
          });
        }
        const versions = await tx.query<{ version: number }>(
          'SELECT version FROM registry_versions WHERE model = $1 ORDER BY version',
          [input.name],
        );
        await tx.query('DELETE FROM registry_models WHERE name = $1', [input.name]);
        for (const v of versions) {
          await removeObjectRefs(tx, { kind: 'model-version', ownerId: `${input.name}/${num(v.version)}` });
        }
        await audit({
          action: 'model.deleted',
          model: input.name,
          principal,
          reason: input.reason,
          details: { versions: versions.map((v) => num(v.version)) },
        });
      });
    },

    async createVersion(raw) {
      const input = parseInput(createVersionInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      if (input.profile) {
        const size = jsonByteLength(input.profile);
        if (size > maxProfileBytes) {
          throw new MlopsError('INVALID_INPUT', {
            message: `The reference profile is ${size} bytes; the limit is ${maxProfileBytes}`,
            details: [{ path: 'profile', message: `larger than ${maxProfileBytes} bytes` }],
          });
        }
      }
      if (options.objects && !(await options.objects.has(input.packageDigest))) {
        throw new MlopsError('NOT_FOUND', {
          message: `Model package ${input.packageDigest} is not in the object store; put it there first`,
          details: [{ path: 'packageDigest', message: 'not in the object store' }],
        });
      }
      return write(async (tx, audit) => {
        // Taking the number updates the model row, so concurrent creators serialise on its row lock.
        const [counter] = await tx.query<{ version: number }>(
          `UPDATE registry_models SET next_version = next_version + 1, updated_at = now() WHERE name = $1
           RETURNING next_version - 1 AS version`,
          [input.model],
        );
        if (!counter) throw notFoundModel(input.model);
        const version = num(counter.version);
        await tx.query(
          `INSERT INTO registry_versions (model, version, package_digest, flavor, signature, profile, metrics,
             source_run_id, dataset_versions, tags, description, status, created_by)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10::jsonb, $11, $12, $13)`,
          [
            input.model,
            version,
            input.packageDigest,
            input.flavor,
            input.signature ? json(input.signature) : null,
            input.profile ? json(input.profile) : null,
            json(input.metrics ?? {}),
            input.sourceRunId ?? null,
            json(input.datasetVersions ?? []),
            json(input.tags ?? {}),
            input.description ?? '',
            input.status ?? 'ready',
            principal,
          ],
        );
        await recordObjectRef(tx, {
          digest: input.packageDigest,
          kind: 'model-version',
          ownerId: `${input.model}/${version}`,
        });
        await audit({
          action: 'version.created',
          model: input.model,
          version,
          principal,
          reason: input.reason,
          details: {
            packageDigest: input.packageDigest,
            flavor: input.flavor,
            metrics: input.metrics ?? {},
            sourceRunId: input.sourceRunId ?? null,
            status: input.status ?? 'ready',
          },
        });
        return (await readVersion(tx, input.model, version))!;
      });
    },

    async getVersion(ref) {
      const { model, version } = parseInput(versionRefSchema, ref);
      const v = await readVersion(store, model, version);
      if (!v) throw notFoundVersion(model, version);
      return v;
    },

    async getProfile(ref) {
      const { model, version } = parseInput(versionRefSchema, ref);
      const [row] = await store.query<{ profile: ReferenceProfile | null }>(
        'SELECT profile FROM registry_versions WHERE model = $1 AND version = $2',
        [model, version],
      );
      if (!row) throw notFoundVersion(model, version);
      return row.profile ?? null;
    },

    async listVersions(raw = {}) {
      const input = parseInput(listVersionsInputSchema, raw);
      const limit = input.limit ?? DEFAULT_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      if (input.model) add((p) => `v.model = ${p}`, input.model);
      if (input.status) add((p) => `v.status = ${p}`, input.status);
      if (input.flavor) add((p) => `v.flavor = ${p}`, input.flavor);
      if (input.sourceRunId) add((p) => `v.source_run_id = ${p}`, input.sourceRunId);
      if (input.tags && Object.keys(input.tags).length > 0) add((p) => `v.tags @> ${p}::jsonb`, json(input.tags));
      if (input.cursor) {
        const [m, v] = decodeCursor(input.cursor, ['string', 'number'] as const);
        params.push(m, v);
        where.push(
          `(v.model > $${params.length - 1} OR (v.model = $${params.length - 1} AND v.version < $${params.length}))`,
        );
      }
      params.push(limit + 1);
      const rows = await store.query<Record<string, unknown>>(
        `SELECT ${VERSION_COLS} FROM registry_versions v ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY v.model, v.version DESC LIMIT $${params.length}`,
        params,
      );
      return page(rows.map(toVersion), limit, (v) => [v.model, v.version]);
    },

    async updateVersion(raw) {
      const input = parseInput(updateVersionInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      return write(async (tx, audit) => {
        const [cur] = await tx.query<Record<string, unknown>>(
          `SELECT ${VERSION_COLS} FROM registry_versions v WHERE v.model = $1 AND v.version = $2 FOR UPDATE OF v`,
          [input.model, input.version],
        );
        if (!cur) throw notFoundVersion(input.model, input.version);
        const current = toVersion(cur);
        if (input.status !== undefined && input.status !== 'ready' && current.aliases.length > 0) {
          throw new MlopsError('CONFLICT', {
            message: `Version ${input.version} of model "${input.model}" is the target of ${current.aliases.join(', ')}; move the alias before setting status "${input.status}"`,
            details: { model: input.model, version: input.version, aliases: current.aliases },
          });
        }
        await tx.query(
          `UPDATE registry_versions SET description = $3, tags = $4::jsonb, status = $5, updated_at = now()
           WHERE model = $1 AND version = $2`,
          [
            input.model,
            input.version,
            input.description ?? current.description,
            json(mergeTags(current.tags, input.tags, input.deleteTags)),
            input.status ?? current.status,
          ],
        );
        await audit({
          action: 'version.updated',
          model: input.model,
          version: input.version,
          principal,
          reason: input.reason,
          details: {
            ...(input.description === undefined ? {} : { description: input.description }),
            ...(input.tags === undefined ? {} : { tags: input.tags }),
            ...(input.deleteTags === undefined ? {} : { deleteTags: input.deleteTags }),
            ...(input.status === undefined ? {} : { status: input.status, previousStatus: current.status }),
          },
        });
        return (await readVersion(tx, input.model, input.version))!;
      });
    },

    async deleteVersion(raw) {
      const input = parseInput(deleteVersionInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      const conflict = (aliases: string[]) =>
        new MlopsError('CONFLICT', {
          message: `Version ${input.version} of model "${input.model}" is the target of alias ${aliases.join(', ')}; move or delete the alias first`,
          details: { model: input.model, version: input.version, aliases },
        });
      try {
        await write(async (tx, audit) => {
          const [row] = await tx.query<{ package_digest: string }>(
            'SELECT package_digest FROM registry_versions WHERE model = $1 AND version = $2 FOR UPDATE',
            [input.model, input.version],
          );
          if (!row) throw notFoundVersion(input.model, input.version);
          const aliases = await tx.query<{ alias: string }>(
            'SELECT alias FROM registry_aliases WHERE model = $1 AND version = $2 ORDER BY alias',
            [input.model, input.version],
          );
          if (aliases.length > 0) throw conflict(aliases.map((a) => a.alias));
          await tx.query('DELETE FROM registry_versions WHERE model = $1 AND version = $2', [
            input.model,
            input.version,
          ]);
          await removeObjectRefs(tx, { kind: 'model-version', ownerId: `${input.model}/${input.version}` });
          await audit({
            action: 'version.deleted',
            model: input.model,
            version: input.version,
            principal,
            reason: input.reason,
            details: { packageDigest: row.package_digest },
          });
        });
      } catch (err) {
        // An alias created concurrently, after our check, still trips the foreign key.
        if (isForeignKeyViolation(err)) throw conflict([]);
        throw err;
      }
    },

    async setAlias(raw) {
      const input = parseInput(setAliasInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      return write(async (tx, audit) => {
        const { current, stack } = await lockAlias(tx, input.model, input.alias);
        await requireReadyVersion(tx, input.model, input.version);
        const next = current !== null && current !== input.version ? push(stack, current) : stack;
        const alias = await moveAlias(tx, audit, {
          model: input.model,
          alias: input.alias,
          from: current,
          to: input.version,
          action: 'set',
          stack: next,
          principal,
          reason: input.reason,
        });
        return alias!;
      });
    },

    async deleteAlias(raw) {
      const input = parseInput(deleteAliasInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      await write(async (tx, audit) => {
        const { current, stack } = await lockAlias(tx, input.model, input.alias);
        if (current === null) {
          throw new MlopsError('NOT_FOUND', {
            message: `Alias "${input.alias}" of model "${input.model}" does not exist`,
            details: { model: input.model, alias: input.alias },
          });
        }
        await moveAlias(tx, audit, {
          model: input.model,
          alias: input.alias,
          from: current,
          to: null,
          action: 'delete',
          stack: push(stack, current),
          principal,
          reason: input.reason,
        });
      });
    },

    async resolve(ref) {
      const { model, alias } = parseInput(aliasRefSchema, ref);
      const v = await currentTarget(store, model, alias);
      if (v === null) {
        await requireModel(store, model);
        throw new MlopsError('NOT_FOUND', {
          message: `Alias "${alias}" of model "${model}" does not exist`,
          details: { model, alias },
        });
      }
      const version = await readVersion(store, model, v);
      if (!version) throw notFoundVersion(model, v);
      return version;
    },

    async listAliases(name) {
      const model = parseInput(modelNameSchema, name, 'model');
      await requireModel(store, model);
      const rows = await store.query<Record<string, unknown>>(
        'SELECT model, alias, version, updated_by, updated_at FROM registry_aliases WHERE model = $1 ORDER BY alias',
        [model],
      );
      return rows.map(toAlias);
    },

    async aliasHistory(raw) {
      const input = parseInput(aliasHistoryInputSchema, raw);
      return pageById('registry_alias_history', { model: input.model, alias: input.alias }, input, toHistory);
    },

    async promote(raw) {
      // Validate everything but the gate with the HTTP schema; a gate may hold functions in-process.
      const { gate, ...rest } = raw;
      const input = parseInput(promoteInputSchema, rest);
      if (gate !== undefined) parseInput(inProcessGateSchema, gate, 'gate');
      const principal = input.principal ?? principalDefault;
      const { model, alias, version } = input;
      const gateJson = describeGate(gate);
      const { comparison } = input;
      if (comparison && comparison.candidate.version !== version) {
        throw new MlopsError('INVALID_INPUT', {
          message: `comparison.candidate.version is ${comparison.candidate.version}, the promoted version is ${version}`,
          details: [{ path: 'comparison.candidate.version', message: `must be the promoted version ${version}` }],
        });
      }

      const withFunctions = hasGateFunction(gate);

      /** The evidence against `incumbent` (the alias's target `current`): compare-and-set first, then the gate. */
      const judge = async (candidate: ModelVersion, current: number | null, incumbent: ModelVersion | null) =>
        input.expectedIncumbent !== undefined && input.expectedIncumbent !== current
          ? ({
              gate: 'expectedIncumbent',
              passed: false,
              expected: input.expectedIncumbent ?? null,
              actual: current,
              message: `expected the incumbent to be ${input.expectedIncumbent ?? 'none'}, it is ${current ?? 'none'}`,
            } satisfies GateEvidence)
          : evaluateGate(gate, { model, alias, candidate, incumbent, ...(comparison ? { comparison } : {}) });

      for (let attempt = 1; attempt <= PROMOTE_ATTEMPTS; attempt++) {
        // 1. Snapshot the incumbent and evaluate the gate outside the transaction: a custom gate may be slow, and
        //    must not run while the alias is locked.
        const candidate = await readVersion(store, model, version);
        if (!candidate) {
          await requireModel(store, model);
          throw notFoundVersion(model, version);
        }
        const snapshot = await currentTarget(store, model, alias);
        const snapshotVersion = snapshot === null ? null : ((await readVersion(store, model, snapshot)) ?? null);
        const early = await judge(candidate, snapshot, snapshotVersion);

        // 2. Lock the alias. If another promotion moved it meanwhile, a declarative gate is evaluated again under
        //    the lock (it is pure and fast); a custom gate is retried from step 1. Either way the decision is taken
        //    against the true incumbent.
        const outcome = await write(async (tx, audit) => {
          const { current, stack } = await lockAlias(tx, model, alias);
          let incumbent = snapshotVersion;
          let evidence = early;
          if (current !== snapshot) {
            if (withFunctions) return { retry: true as const };
            incumbent = current === null ? null : ((await readVersion(tx, model, current)) ?? null);
            evidence = await judge(candidate, current, incumbent);
          }
          await requireReadyVersion(tx, model, version);
          const decision = await insertDecision(tx, {
            model,
            alias,
            candidate: version,
            incumbent: current,
            passed: evidence.passed,
            gate: gateJson,
            evidence: {
              result: evidence,
              candidate: summary(candidate),
              incumbent: summary(incumbent),
              ...(input.expectedIncumbent === undefined ? {} : { expectedIncumbent: input.expectedIncumbent }),
              ...(comparison ? { comparison } : {}),
            },
            principal,
            reason: input.reason,
          });
          if (!evidence.passed) {
            await audit({
              action: 'promotion.rejected',
              model,
              alias,
              version,
              fromVersion: current,
              principal,
              reason: input.reason,
              details: { decisionId: decision.id, gate: gateJson },
            });
            return { retry: false as const, decision, evidence, current, alias: null };
          }
          const moved = await moveAlias(tx, audit, {
            model,
            alias,
            from: current,
            to: version,
            action: 'promote',
            stack: current !== null && current !== version ? push(stack, current) : stack,
            principal,
            reason: input.reason,
            decisionId: decision.id,
            details: { decisionId: decision.id, gate: gateJson },
          });
          return { retry: false as const, decision, evidence, current, alias: moved! };
        });
        if (outcome.retry) continue;
        if (outcome.alias) return { decision: outcome.decision, alias: outcome.alias } satisfies PromotionResult;
        if (outcome.evidence.gate === 'expectedIncumbent') {
          throw new MlopsError('CONFLICT', {
            message: `Promotion of "${model}" v${version} to "${alias}" refused: expected incumbent ${input.expectedIncumbent ?? 'none'}, found ${outcome.current ?? 'none'}`,
            details: { decision: outcome.decision },
          });
        }
        throw new MlopsError('GATE_FAILED', {
          message: `Promotion of "${model}" v${version} to "${alias}" refused by the gate: ${firstFailure(outcome.evidence) ?? 'failed'}`,
          details: { decision: outcome.decision },
        });
      }
      throw new MlopsError('CONFLICT', {
        message: `Alias "${alias}" of model "${model}" moved during each of ${PROMOTE_ATTEMPTS} evaluations of a custom gate; try again`,
        details: { model, alias },
      });
    },

    async rollback(raw) {
      const input = parseInput(rollbackInputSchema, raw);
      const principal = input.principal ?? principalDefault;
      const { model, alias } = input;
      return write(async (tx, audit) => {
        const { current, stack } = await lockAlias(tx, model, alias);
        const remaining = [...stack];
        const skipped: number[] = [];
        let target: number | undefined;
        while (remaining.length > 0) {
          const candidate = remaining.pop()!;
          if (candidate === current) continue;
          const [row] = await tx.query<{ status: string }>(
            'SELECT status FROM registry_versions WHERE model = $1 AND version = $2 FOR KEY SHARE',
            [model, candidate],
          );
          if (row?.status === 'ready') {
            target = candidate;
            break;
          }
          skipped.push(candidate);
        }
        if (target === undefined) {
          throw new MlopsError('CONFLICT', {
            message: `Alias "${alias}" of model "${model}" has no previous target to roll back to`,
            details: { model, alias, current, skipped },
          });
        }
        const moved = await moveAlias(tx, audit, {
          model,
          alias,
          from: current,
          to: target,
          action: 'rollback',
          stack: remaining,
          principal,
          reason: input.reason,
          details: { skipped },
        });
        return { alias: moved!, fromVersion: current, skipped };
      });
    },

    async listDecisions(raw) {
      const input = parseInput(listDecisionsInputSchema, raw);
      const filters = { model: input.model, alias: input.alias, passed: input.passed };
      return pageById('registry_decisions', filters, input, toDecision);
    },

    async listAudit(raw = {}) {
      const input = parseInput(listAuditInputSchema, raw);
      const filters = { model: input.model, action: input.action, principal: input.principal };
      return pageById('registry_audit', filters, input, toAudit);
    },

    async subscribe(fn, filter = {}) {
      const f = parseInput(subscribeFilterSchema, filter, 'filter');
      return hub.subscribe(fn, f);
    },

    async close() {
      await hub.close();
    },
  };
  return registry;
}

/** The audit action recorded for each alias-history action. */
const ALIAS_AUDIT_ACTIONS = {
  set: 'alias.set',
  promote: 'alias.promoted',
  rollback: 'alias.rolled-back',
  delete: 'alias.deleted',
} as const satisfies Record<AliasHistoryEntry['action'], AuditAction>;

interface AuditInput {
  action: AuditAction;
  model?: string;
  version?: number;
  alias?: string;
  fromVersion?: number | null;
  principal: string;
  reason: string | undefined;
  details?: Record<string, unknown>;
}
