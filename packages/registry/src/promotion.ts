// Promotion: promote (gate against the incumbent, record the decision, move the alias), rollback (pop the alias's
// stack), and the recorded decisions. The rules of a gate itself are in gates/.
import { MlopsError, parseInput, type Store } from '@mlops/core';
import { pageById } from './_internal/paging.js';
import { currentTarget, lockAlias, moveAlias, pushStack, requireReadyVersion } from './aliases.js';
import type { RegistryContext } from './context.js';
import { describeGate, firstFailure, hasGateFunction } from './gates/describe.js';
import { evaluateGate } from './gates/evaluate.js';
import { inProcessGateSchema } from './gates/schema.js';
import type { GateEvidence } from './gates/types.js';
import { notFoundVersion, readVersion, requireModel } from './reads.js';
import type { Decision, ModelVersion, PromotionResult } from './records.js';
import { json, type Row, toDecision } from './rows.js';
import { listDecisionsInputSchema, promoteInputSchema, rollbackInputSchema } from './schemas.js';
import type { Registry } from './types.js';

/** How many times `promote` re-evaluates a custom gate when the alias moves under it before giving up. */
const PROMOTE_ATTEMPTS = 5;

/** What a decision records of a version: its number and metrics. */
const summary = (v: ModelVersion | null) => (v ? { version: v.version, metrics: v.metrics } : null);

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
  const [row] = await tx.query<Row>(
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

/** The registry's promotion methods. */
export function promotionMethods(ctx: RegistryContext): Pick<Registry, 'promote' | 'rollback' | 'listDecisions'> {
  const { store, write } = ctx;
  return {
    async promote(raw) {
      // Validate everything but the gate with the HTTP schema; a gate may hold functions in-process.
      const { gate, ...rest } = raw;
      const input = parseInput(promoteInputSchema, rest);
      if (gate !== undefined) parseInput(inProcessGateSchema, gate, 'gate');
      const principal = input.principal ?? ctx.principal;
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
            stack: current !== null && current !== version ? pushStack(stack, current, ctx.maxRollbackDepth) : stack,
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
      const principal = input.principal ?? ctx.principal;
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
      return pageById(store, 'registry_decisions', filters, input, toDecision);
    },
  };
}
