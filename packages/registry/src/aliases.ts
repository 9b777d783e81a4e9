// Aliases: set, delete, resolve, list, history; and the alias moves that promotion and rollback share (lock,
// check the target, move with history and audit).
import { MlopsError, parseInput, type Store } from '@mlops/core';
import { pageById } from './_internal/paging.js';
import type { AppendAudit, RegistryContext } from './context.js';
import { notFoundVersion, readVersion, requireModel } from './reads.js';
import type { Alias, AliasHistoryEntry, AuditAction } from './records.js';
import { ALIAS_COLS, num, type Row, toAlias, toHistory } from './rows.js';
import {
  aliasHistoryInputSchema,
  aliasRefSchema,
  deleteAliasInputSchema,
  modelNameSchema,
  setAliasInputSchema,
} from './schemas.js';
import type { Registry } from './types.js';

/** The audit action recorded for each alias-history action. */
const ALIAS_AUDIT_ACTIONS = {
  set: 'alias.set',
  promote: 'alias.promoted',
  rollback: 'alias.rolled-back',
  delete: 'alias.deleted',
} as const satisfies Record<AliasHistoryEntry['action'], AuditAction>;

export async function currentTarget(db: Store, model: string, alias: string): Promise<number | null> {
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
export async function lockAlias(
  tx: Store,
  model: string,
  alias: string,
): Promise<{ current: number | null; stack: number[] }> {
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
export async function requireReadyVersion(tx: Store, model: string, version: number): Promise<void> {
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

/** `stack` with `v` pushed on top, keeping the newest `maxDepth` entries. */
export const pushStack = (stack: number[], v: number, maxDepth: number): number[] => [...stack, v].slice(-maxDepth);

/**
 * Moves a locked alias: writes the alias row (or deletes it when `to` is null), its history row and the audit
 * record (which publishes the change event).
 */
export async function moveAlias(
  tx: Store,
  audit: AppendAudit,
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
    const [row] = await tx.query<Row>(
      `INSERT INTO registry_aliases (model, alias, version, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_by = EXCLUDED.updated_by,
         updated_at = now()
       RETURNING ${ALIAS_COLS}`,
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

/** The registry's alias methods. */
export function aliasMethods(
  ctx: RegistryContext,
): Pick<Registry, 'setAlias' | 'deleteAlias' | 'resolve' | 'listAliases' | 'aliasHistory'> {
  const { store, write } = ctx;
  return {
    async setAlias(raw) {
      const input = parseInput(setAliasInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      return write(async (tx, audit) => {
        const { current, stack } = await lockAlias(tx, input.model, input.alias);
        await requireReadyVersion(tx, input.model, input.version);
        const next =
          current !== null && current !== input.version ? pushStack(stack, current, ctx.maxRollbackDepth) : stack;
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
      const principal = input.principal ?? ctx.principal;
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
          stack: pushStack(stack, current, ctx.maxRollbackDepth),
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
      const rows = await store.query<Row>(
        `SELECT ${ALIAS_COLS} FROM registry_aliases WHERE model = $1 ORDER BY alias`,
        [model],
      );
      return rows.map(toAlias);
    },

    async aliasHistory(raw) {
      const input = parseInput(aliasHistoryInputSchema, raw);
      return pageById(store, 'registry_alias_history', { model: input.model, alias: input.alias }, input, toHistory);
    },
  };
}
