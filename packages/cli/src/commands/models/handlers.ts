import type { ModelVersion } from '@mlops/registry';
import type { CliContext } from '../../context.js';
import { decisionEvidence, formatEvidence } from '../../evidence.js';
import { formatTable, type Output } from '../../output.js';
import { buildGate, parsePositiveInt, readJsonArgument } from '../../parse.js';

const versionRow = (v: ModelVersion) => [
  v.version,
  v.status,
  v.aliases.join(','),
  Object.entries(v.metrics)
    .slice(0, 4)
    .map(([k, x]) => `${k}=${Number(x.toPrecision(4))}`)
    .join(' '),
  v.flavor,
  v.createdAt,
];

/** Options of {@link modelsLs}. */
export interface ModelsLsOptions {
  /**
   * Name substring filter.
   * @default undefined
   */
  query?: string;
  /**
   * Most models listed.
   * @default 100
   */
  limit?: number;
}

/** `mlops models ls`: registered models with their aliases. */
export async function modelsLs(opts: ModelsLsOptions, ctx: CliContext, out: Output): Promise<void> {
  const registry = await ctx.registry();
  const page = await registry.listModels({
    ...(opts.query ? { query: opts.query } : {}),
    limit: opts.limit ?? 100,
  });
  const models = await Promise.all(
    page.items.map(async (m) => ({ ...m, aliases: await registry.listAliases(m.name) })),
  );
  out.result({ models, nextCursor: page.nextCursor }, () =>
    models.length === 0
      ? 'No models.'
      : formatTable(
          ['MODEL', 'ALIASES', 'DESCRIPTION', 'UPDATED'],
          models.map((m) => [
            m.name,
            m.aliases.map((a) => `${a.alias}→v${a.version}`).join(' '),
            m.description,
            m.updatedAt,
          ]),
        ),
  );
}

/** Options of {@link modelsVersions}. */
export interface ModelsVersionsOptions {
  model: string;
  /**
   * Only versions with this status.
   * @default undefined
   */
  status?: string;
  /**
   * Most versions listed.
   * @default 100
   */
  limit?: number;
}

/** `mlops models versions`: the versions of a model, newest first. */
export async function modelsVersions(opts: ModelsVersionsOptions, ctx: CliContext, out: Output): Promise<void> {
  const registry = await ctx.registry();
  await registry.getModel(opts.model); // NOT_FOUND for an unknown model rather than an empty list
  const page = await registry.listVersions({
    model: opts.model,
    ...(opts.status ? { status: opts.status as ModelVersion['status'] } : {}),
    limit: opts.limit ?? 100,
  });
  out.result({ model: opts.model, versions: page.items, nextCursor: page.nextCursor }, () =>
    page.items.length === 0
      ? `No versions of ${opts.model}.`
      : formatTable(['VERSION', 'STATUS', 'ALIASES', 'METRICS', 'FLAVOR', 'CREATED'], page.items.map(versionRow)),
  );
}

/** `mlops models aliases`: the aliases of a model and the versions they point at. */
export async function modelsAliases(opts: { model: string }, ctx: CliContext, out: Output): Promise<void> {
  const registry = await ctx.registry();
  await registry.getModel(opts.model);
  const aliases = await registry.listAliases(opts.model);
  out.result({ model: opts.model, aliases }, () =>
    aliases.length === 0
      ? `${opts.model} has no aliases.`
      : formatTable(
          ['ALIAS', 'VERSION', 'UPDATED BY', 'UPDATED'],
          aliases.map((a) => [a.alias, a.version, a.updatedBy, a.updatedAt]),
        ),
  );
}

/** Options of {@link modelsHistory}. */
export interface ModelsHistoryOptions {
  model: string;
  /**
   * Only this alias.
   * @default undefined (every alias of the model)
   */
  alias?: string;
  /**
   * Most entries listed.
   * @default 100
   */
  limit?: number;
}

const versionText = (v: number | null) => (v === null ? '-' : `v${v}`);

/** `mlops models history`: the moves of a model's aliases (or of one alias), newest first. */
export async function modelsHistory(opts: ModelsHistoryOptions, ctx: CliContext, out: Output): Promise<void> {
  const registry = await ctx.registry();
  await registry.getModel(opts.model); // NOT_FOUND for an unknown model rather than an empty list
  const page = await registry.aliasHistory({
    model: opts.model,
    ...(opts.alias ? { alias: opts.alias } : {}),
    limit: opts.limit ?? 100,
  });
  const what = opts.alias ? `${opts.model} ${opts.alias}` : opts.model;
  out.result({ model: opts.model, alias: opts.alias ?? null, history: page.items, nextCursor: page.nextCursor }, () =>
    page.items.length === 0
      ? `No alias history for ${what}.`
      : formatTable(
          ['AT', 'ALIAS', 'ACTION', 'FROM', 'TO', 'BY', 'REASON'],
          page.items.map((h) => [
            h.at,
            h.alias,
            h.action,
            versionText(h.fromVersion),
            versionText(h.toVersion),
            h.principal,
            h.reason ?? '',
          ]),
        ),
  );
}

/** Options of {@link modelsAudit}. */
export interface ModelsAuditOptions {
  /**
   * Only entries of this model.
   * @default undefined (every model)
   */
  model?: string;
  /**
   * Only this action (`alias.promoted`, `version.created`, …).
   * @default undefined
   */
  action?: string;
  /**
   * Only entries by this principal.
   * @default undefined
   */
  principal?: string;
  /**
   * Most entries listed.
   * @default 100
   */
  limit?: number;
}

/** `mlops models audit`: the registry's audit log, newest first. */
export async function modelsAudit(opts: ModelsAuditOptions, ctx: CliContext, out: Output): Promise<void> {
  const registry = await ctx.registry();
  if (opts.model) await registry.getModel(opts.model);
  const page = await registry.listAudit({
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.action ? { action: opts.action } : {}),
    ...(opts.principal ? { principal: opts.principal } : {}),
    limit: opts.limit ?? 100,
  });
  out.result({ entries: page.items, nextCursor: page.nextCursor }, () =>
    page.items.length === 0
      ? 'No audit entries.'
      : formatTable(
          ['AT', 'ACTION', 'MODEL', 'VERSION', 'ALIAS', 'FROM', 'BY', 'REASON'],
          page.items.map((e) => [
            e.at,
            e.action,
            e.model ?? '',
            e.version === null ? '' : `v${e.version}`,
            e.alias ?? '',
            e.fromVersion === null ? '' : `v${e.fromVersion}`,
            e.principal,
            e.reason ?? '',
          ]),
        ),
  );
}

/** Options of {@link modelsPromote}. */
export interface ModelsPromoteOptions {
  model: string;
  /** Version number (as typed). */
  version: string;
  /**
   * The alias to move.
   * @default 'production'
   */
  alias?: string;
  /**
   * Gate expressions (`accuracy>=0.9`, `f1>=incumbent-0.01`), all of which must pass.
   * @default []
   */
  gate?: string[];
  /**
   * A declarative gate as JSON, or `@file.json`.
   * @default undefined
   */
  gateJson?: string;
  /**
   * Compare-and-set: the version the alias must point at now (`none`: the alias must not exist).
   * @default undefined (no check)
   */
  expectIncumbent?: string;
  /**
   * Why, recorded in the audit log.
   * @default undefined
   */
  reason?: string;
}

/**
 * `mlops models promote`: moves an alias to a version if the gate passes against the incumbent. A refused gate is
 * `GATE_FAILED` (exit 4) with the decision's evidence.
 */
export async function modelsPromote(opts: ModelsPromoteOptions, ctx: CliContext, out: Output): Promise<void> {
  const version = parsePositiveInt(opts.version, 'version');
  const gate = buildGate(
    opts.gate ?? [],
    opts.gateJson === undefined ? undefined : readJsonArgument(opts.gateJson, 'gate JSON', ctx.cwd),
  );
  let expectedIncumbent: number | null | undefined;
  if (opts.expectIncumbent !== undefined) {
    expectedIncumbent =
      opts.expectIncumbent === 'none' ? null : parsePositiveInt(opts.expectIncumbent, 'expected incumbent');
  }
  const alias = opts.alias ?? 'production';
  const registry = await ctx.registry();
  const result = await registry.promote({
    model: opts.model,
    alias,
    version,
    ...(gate ? { gate } : {}),
    ...(expectedIncumbent !== undefined ? { expectedIncumbent } : {}),
    ...(opts.reason ? { reason: opts.reason } : {}),
  });
  const d = result.decision;
  out.result(result, () =>
    [
      `Promoted ${opts.model} v${version} to ${alias}${
        d.incumbentVersion === null ? ' (no previous version)' : ` (was v${d.incumbentVersion})`
      }`,
      ...(gate ? ['Gate:', ...formatEvidence(decisionEvidence(d))] : []),
      `Undo with: mlops models rollback ${opts.model} --alias ${alias}`,
    ].join('\n'),
  );
}

/** Options of {@link modelsRollback}. */
export interface ModelsRollbackOptions {
  model: string;
  /**
   * The alias to move back.
   * @default 'production'
   */
  alias?: string;
  /**
   * Why, recorded in the audit log.
   * @default undefined
   */
  reason?: string;
}

/** `mlops models rollback`: moves an alias back to its previous target. */
export async function modelsRollback(opts: ModelsRollbackOptions, ctx: CliContext, out: Output): Promise<void> {
  const alias = opts.alias ?? 'production';
  const registry = await ctx.registry();
  const r = await registry.rollback({ model: opts.model, alias, ...(opts.reason ? { reason: opts.reason } : {}) });
  out.result(
    r,
    `Rolled back ${opts.model} ${alias}: v${r.fromVersion ?? '-'} → v${r.alias.version}${
      r.skipped.length ? ` (skipped deleted versions ${r.skipped.join(', ')})` : ''
    }`,
  );
}
