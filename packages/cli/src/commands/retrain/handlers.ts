import { fileURLToPath } from 'node:url';
import { MlopsError, type ObjectStore, type Store } from '@mlops/core';
import type { Registry } from '@mlops/registry';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import type { Output } from '../../output.js';
import { type ImportModule, isModuleNotFound, moduleSpecifier } from '../../plugins.js';

/** What a retrain config module's factory receives: the resources the CLI opened from its flags. */
export interface RetrainConfigContext {
  store: Store;
  registry: Registry;
  objects: ObjectStore;
}

/**
 * The part of `@mlops/pipelines`' `ContinuousTrainingPolicy` the command uses (the config module builds the policy
 * with `createContinuousTrainingPolicy`, so the CLI itself does not depend on the pipelines package).
 */
export interface RetrainPolicyLike {
  readonly model: string;
  readonly alias: string;
  evaluate(): Promise<unknown>;
  runOnce(options?: { force?: boolean; reason?: string }): Promise<{ status: string; [key: string]: unknown }>;
}

/** Options of {@link retrainCommand}. */
export interface RetrainCommandOptions {
  /** The config module (path or package) exporting the policy factory. */
  config: string;
  /**
   * Name of the factory export: `(ctx: RetrainConfigContext) => policy | Promise<policy>`.
   * @default 'createPolicy'
   */
  export?: string;
  /**
   * Retrain even if no trigger fires.
   * @default false
   */
  force?: boolean;
  /**
   * Why (recorded with a forced run).
   * @default undefined
   */
  reason?: string;
  /**
   * Only evaluate the triggers; retrain nothing, record nothing.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Loads the config module (tests pass a fake).
   * @default dynamic import
   */
  importModule?: ImportModule;
}

const EXIT_BY_STATUS: Record<string, number> = {
  'no-action': EXIT_CODES.OK,
  promoted: EXIT_CODES.OK,
  rejected: EXIT_CODES.CONFLICT,
  // A broken feed: nothing was retrained (not drift, never a reason to retrain).
  blocked: EXIT_CODES.FEED_BROKEN,
  failed: EXIT_CODES.ERROR,
  abandoned: EXIT_CODES.ERROR,
};

function isPolicy(v: unknown): v is RetrainPolicyLike {
  const p = v as { runOnce?: unknown; evaluate?: unknown } | null;
  return typeof p?.runOnce === 'function' && typeof p.evaluate === 'function';
}

/**
 * `mlops retrain <config>`: one continuous-training step, for a Kubernetes CronJob or a scheduled CI job. The config
 * module exports `createPolicy({ store, registry, objects })` returning a policy from `@mlops/pipelines`'
 * `createContinuousTrainingPolicy`; the command runs `policy.runOnce()` (or `evaluate()` with `--dry-run`) and prints
 * the decision (with `runId`, the tracked run of a retraining). Exit 0 for `no-action`/`promoted`, 4 when the new
 * version was `rejected` by the gate, 1 on failure. The policy takes the model alias's retrain lock, so the command
 * and a server's `POST /v1/models/{name}/retrain` never retrain the same model at once (the second gets `CONFLICT`).
 */
export async function retrainCommand(opts: RetrainCommandOptions, ctx: CliContext, out: Output): Promise<number> {
  const load = opts.importModule ?? ((s: string) => import(s));
  const specifier = moduleSpecifier(opts.config, ctx.cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await load(specifier)) as Record<string, unknown>;
  } catch (cause) {
    // The config itself is missing (not a module it imports): the error names its resolved path.
    const missing = specifier.startsWith('file:') ? fileURLToPath(specifier) : opts.config;
    if (!isModuleNotFound(cause, missing)) throw cause;
    throw new MlopsError('NOT_FOUND', {
      message: `Retrain config ${opts.config} not found`,
      details: { config: opts.config },
      cause,
    });
  }
  const name = opts.export ?? 'createPolicy';
  const factory = mod[name];
  if (typeof factory !== 'function') {
    throw new MlopsError('INVALID_INPUT', {
      message: `${opts.config} has no function export "${name}" (expected (ctx: { store, registry, objects }) => policy)`,
      details: [{ path: 'config', message: `missing export ${name}` }],
    });
  }
  const policy: unknown = await (factory as (c: RetrainConfigContext) => unknown)({
    store: await ctx.store(),
    registry: await ctx.registry(),
    objects: ctx.objects(),
  });
  if (!isPolicy(policy)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `${opts.config}: "${name}" did not return a policy (createContinuousTrainingPolicy from @mlops/pipelines)`,
      details: [{ path: 'config', message: 'not a policy' }],
    });
  }
  if (opts.dryRun) {
    const evaluation = await policy.evaluate();
    out.result({ model: policy.model, alias: policy.alias, evaluation }, () => {
      const e = evaluation as { triggered?: unknown; reasons?: unknown; blocked?: unknown };
      const reasons = (Array.isArray(e.reasons) ? e.reasons : []).map((r: unknown) => {
        const { trigger, message } = (r ?? {}) as { trigger?: unknown; message?: unknown };
        return typeof message === 'string' ? `  ${typeof trigger === 'string' ? `${trigger}: ` : ''}${message}` : '';
      });
      const fired = reasons.length > 0 ? ` (${reasons.length} trigger${reasons.length === 1 ? '' : 's'} fired)` : '';
      const verdict =
        typeof e.blocked === 'string'
          ? `blocked, ${e.blocked}`
          : e.triggered
            ? `would retrain${fired}`
            : 'no trigger fired';
      return [`${policy.model}@${policy.alias}: ${verdict}`, ...reasons.filter((l) => l !== '')].join('\n');
    });
    return EXIT_CODES.OK;
  }
  const decision = await policy.runOnce({
    ...(opts.force ? { force: true } : {}),
    ...(opts.reason ? { reason: opts.reason } : {}),
  });
  out.result({ decision }, () => {
    const d = decision as {
      status: string;
      candidateVersion?: unknown;
      incumbentVersion?: unknown;
      runId?: unknown;
      error?: unknown;
    };
    // Every retraining is a tracked run (the policy records it, linked from the decision): `mlops runs show <id>`.
    const run = typeof d.runId === 'string' ? `, run ${d.runId}` : '';
    const versions =
      d.candidateVersion !== null && d.candidateVersion !== undefined
        ? ` (candidate v${String(d.candidateVersion)}, incumbent v${String(d.incumbentVersion ?? '-')}${run})`
        : '';
    return `${policy.model}@${policy.alias}: ${d.status}${versions}${typeof d.error === 'string' && d.error ? `: ${d.error}` : ''}`;
  });
  return EXIT_BY_STATUS[decision.status] ?? EXIT_CODES.ERROR;
}
