import { randomBytes } from 'node:crypto';
import { createStore, type Store } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type GateContext, type Registry, type RegistryEvent, registryClient } from '../src/index.js';
import { startServer } from './http-server.js';
import { fakeDigest, uniqueName } from './registry.suite.js';

// Cross-process behaviour needs PostgreSQL (an embedded store belongs to one process). Skipped with a printed reason
// without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const postgresUrl = testPostgresUrl('the registry across processes');

describe.skipIf(!postgresUrl)('registry across processes [postgres]', () => {
  // Two stores (two connection pools, as two processes would have) on the same schema.
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let storeA: Store;
  let storeB: Store;
  let a: Registry;
  let b: Registry;
  beforeAll(async () => {
    const sep = postgresUrl!.includes('?') ? '&' : '?';
    storeA = await createStore(`${postgresUrl}${sep}schema=${schema}`);
    storeB = await createStore(`${postgresUrl}${sep}schema=${schema}`);
    [a, b] = await Promise.all([
      createRegistry({ store: storeA, principal: 'proc-a' }),
      createRegistry({ store: storeB, principal: 'proc-b' }),
    ]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await storeA?.close();
    await storeB?.close();
    const admin = await createStore(postgresUrl!);
    try {
      await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.close();
    }
  });

  async function setup(metrics: number[]) {
    const name = uniqueName('race');
    await a.createModel({ name });
    for (const [i, f1] of metrics.entries()) {
      await a.createVersion({ model: name, packageDigest: fakeDigest(`${name}/${i}`), flavor: 'f', metrics: { f1 } });
    }
    return name;
  }

  /** Checks the invariants of serialised promotions: every decision saw the alias as the previous one left it. */
  async function checkSerialised(name: string) {
    const decisions = (await a.listDecisions({ model: name, alias: 'production' })).items.reverse();
    let target: number | null = null;
    for (const d of decisions) {
      expect(d.incumbentVersion).toBe(target);
      if (d.passed) target = d.candidateVersion;
    }
    expect((await b.resolve({ model: name, alias: 'production' })).version).toBe(target);
    const history = (await a.aliasHistory({ model: name, alias: 'production' })).items.reverse();
    let prev: number | null = null;
    for (const h of history) {
      expect(h.fromVersion).toBe(prev);
      prev = h.toVersion;
    }
    // The audit log has one entry per decision: promoted or rejected, with the same incumbent.
    const audit = (await b.listAudit({ model: name })).items
      .filter((e) => e.action === 'alias.promoted' || e.action === 'promotion.rejected')
      .reverse();
    expect(audit.map((e) => [e.action, e.version, e.fromVersion, e.details.decisionId])).toEqual(
      decisions.map((d) => [
        d.passed ? 'alias.promoted' : 'promotion.rejected',
        d.candidateVersion,
        d.incumbentVersion,
        d.id,
      ]),
    );
    return { decisions, target };
  }

  it('serialises two processes promoting to the same alias, each gated against the true incumbent', async () => {
    // v1 0.80 is in production; A proposes v2 (0.85), B proposes v3 (0.83); each must beat the incumbent by 0.01.
    const name = await setup([0.8, 0.85, 0.83]);
    await a.promote({ model: name, version: 1, alias: 'production' });
    // A custom gate holds both promotions until both have evaluated against v1, so they really race.
    const calls: { proc: string; candidate: number; incumbent: number | null }[] = [];
    let release!: () => void;
    const bothEvaluated = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = (proc: string) =>
      async function beatsIncumbent(ctx: GateContext) {
        calls.push({ proc, candidate: ctx.candidate.version, incumbent: ctx.incumbent?.version ?? null });
        if (calls.length === 2) release();
        await bothEvaluated;
        const inc = ctx.incumbent?.metrics.f1 ?? Number.NEGATIVE_INFINITY;
        return {
          passed: ctx.candidate.metrics.f1! >= inc + 0.01 - 1e-9,
          evidence: { against: ctx.incumbent?.version },
        };
      };
    const results = await Promise.allSettled([
      a.promote({ model: name, version: 2, alias: 'production', gate: gate('a'), reason: 'a' }),
      b.promote({ model: name, version: 3, alias: 'production', gate: gate('b'), reason: 'b' }),
    ]);
    // Both first evaluated against v1; the one that committed second was evaluated again against the winner.
    expect(calls.slice(0, 2).map((c) => c.incumbent)).toEqual([1, 1]);
    expect(calls).toHaveLength(3);
    const winner = calls[2]!.proc === 'a' ? 3 : 2;
    expect(calls[2]!.incumbent).toBe(winner);
    const { decisions, target } = await checkSerialised(name);
    expect(decisions).toHaveLength(3); // the first promotion of v1, then the two racers
    // Whatever the order, v2 ends in production: v3 then v2 (0.85 ≥ 0.84), or v2 then v3 refused (0.83 < 0.86).
    expect(target).toBe(2);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(
      winner === 2 ? ['GATE_FAILED'] : [],
    );
  });

  it('keeps the alias, history, decisions and audit consistent under many racing promotions', async () => {
    const metrics = [0.5, 0.6, 0.55, 0.7, 0.65, 0.8, 0.75, 0.9];
    const name = await setup(metrics);
    const gate = { metric: 'f1', notWorseThanIncumbentBy: 0, direction: 'max' } as const;
    await Promise.allSettled(
      metrics.map((_, i) => (i % 2 === 0 ? a : b).promote({ model: name, version: i + 1, alias: 'production', gate })),
    );
    const { decisions, target } = await checkSerialised(name);
    expect(decisions).toHaveLength(metrics.length);
    expect(target).toBe(8); // the best version always wins: no ordering lets a worse one displace it
  });

  it('a subscriber on one store sees alias moves made through the other', async () => {
    const name = await setup([0.8, 0.9]);
    const seen: RegistryEvent[] = [];
    const stop = await a.subscribe((e) => seen.push(e), { model: name });
    try {
      await b.setAlias({ model: name, alias: 'production', version: 1, reason: 'from b' });
      await b.promote({ model: name, version: 2, alias: 'production' });
      await expect
        .poll(() => seen.filter((e) => e.alias === 'production').map((e) => [e.action, e.version, e.principal]), {
          timeout: 10_000,
        })
        .toEqual([
          ['alias.set', 1, 'proc-b'],
          ['alias.promoted', 2, 'proc-b'],
        ]);
    } finally {
      await stop();
    }
  });

  it('a server subscribed on one store streams moves made by another process to its HTTP clients', async () => {
    const name = await setup([0.8]);
    const server = await startServer({ registry: a });
    const client = registryClient(server.url);
    try {
      const seen: RegistryEvent[] = [];
      const stop = await client.subscribe((e) => seen.push(e), { model: name });
      await b.setAlias({ model: name, alias: 'staging', version: 1 });
      await expect
        .poll(() => seen.map((e) => [e.action, e.alias, e.version]), { timeout: 10_000 })
        .toEqual([['alias.set', 'staging', 1]]);
      await stop();
    } finally {
      await client.close();
      await server.close();
    }
  });
});
