import { createHash, randomBytes } from 'node:crypto';
import { isMlopsError, type MlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import type { Gate, ModelVersion, Registry, RegistryEvent } from '../src/index.js';

/** Options of {@link testRegistry}. */
export interface RegistrySuiteOptions {
  /** True when the registry is the HTTP client (custom gate functions are then refused client-side). */
  remote: boolean;
}

/** A digest for test packages. */
export function fakeDigest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

/** A model name no other test uses (the suite shares one store per backend). */
export function uniqueName(prefix = 'm'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Awaits `promise` and returns the MlopsError it rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<MlopsError> {
  try {
    await promise;
  } catch (err) {
    if (isMlopsError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/**
 * The conformance suite of the {@link Registry} interface. It runs against the in-process registry and against the
 * HTTP client talking to a real server, on PGlite and on PostgreSQL: both must behave identically.
 */
export function testRegistry(getRegistry: () => Registry, options: RegistrySuiteOptions): void {
  const r = () => getRegistry();

  async function modelWithVersions(metrics: Record<string, number>[], prefix = 'm') {
    const name = uniqueName(prefix);
    await r().createModel({ name, principal: 'alice' });
    const versions: ModelVersion[] = [];
    for (const [i, m] of metrics.entries()) {
      versions.push(
        await r().createVersion({ model: name, packageDigest: fakeDigest(`${name}/${i}`), flavor: 'test', metrics: m }),
      );
    }
    return { name, versions };
  }

  describe('registered models', () => {
    it('creates, reads, updates and refuses duplicates', async () => {
      const name = uniqueName();
      const created = await r().createModel({
        name,
        description: 'churn model',
        tags: { team: 'risk', tier: '1' },
        principal: 'alice',
      });
      expect(created).toMatchObject({
        name,
        description: 'churn model',
        tags: { team: 'risk', tier: '1' },
        createdBy: 'alice',
      });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      expect(await r().getModel(name)).toEqual(created);

      const dup = await rejection(r().createModel({ name }));
      expect(dup.code).toBe('CONFLICT');

      const updated = await r().updateModel({ name, description: 'v2', tags: { owner: 'bob' }, deleteTags: ['tier'] });
      expect(updated).toMatchObject({ description: 'v2', tags: { team: 'risk', owner: 'bob' } });
      expect(updated.tags).not.toHaveProperty('tier');
    });

    it('reports missing models and invalid names with field paths', async () => {
      expect((await rejection(r().getModel(uniqueName()))).code).toBe('NOT_FOUND');
      const bad = await rejection(r().createModel({ name: 'bad name!' }));
      expect(bad.code).toBe('INVALID_INPUT');
      expect(bad.details).toEqual([expect.objectContaining({ path: 'name' })]);
      const badTags = await rejection(r().createModel({ name: uniqueName(), tags: { k: 3 as unknown as string } }));
      expect(badTags.code).toBe('INVALID_INPUT');
      expect(badTags.details).toEqual([expect.objectContaining({ path: 'tags.k' })]);
    });

    it('lists with filters and walks pages with the cursor', async () => {
      const prefix = uniqueName('list');
      const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, `${prefix}-d`, `${prefix}-e`];
      for (const [i, name] of names.entries()) {
        await r().createModel({ name, tags: { parity: i % 2 === 0 ? 'even' : 'odd' } });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await r().listModels({ query: prefix.toUpperCase(), limit: 2, cursor });
        seen.push(...page.items.map((m) => m.name));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(seen).toEqual(names);
      expect(pages).toBe(3);
      const even = await r().listModels({ query: prefix, tags: { parity: 'even' } });
      expect(even.items.map((m) => m.name)).toEqual([names[0], names[2], names[4]]);
      expect(even.nextCursor).toBeNull();
      const badCursor = await rejection(r().listModels({ cursor: 'nonsense' }));
      expect(badCursor.code).toBe('INVALID_INPUT');
      expect(badCursor.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
    });

    it('deletes a model with its versions', async () => {
      const { name } = await modelWithVersions([{ f1: 0.5 }]);
      await r().deleteModel({ name, reason: 'obsolete' });
      expect((await rejection(r().getModel(name))).code).toBe('NOT_FOUND');
      expect((await rejection(r().getVersion({ model: name, version: 1 }))).code).toBe('NOT_FOUND');
      expect((await rejection(r().deleteModel({ name }))).code).toBe('NOT_FOUND');
    });
  });

  describe('model versions', () => {
    it('numbers versions per model and keeps every field', async () => {
      const name = uniqueName();
      await r().createModel({ name });
      const profile = { kind: 'mlops.drift/profile', schemaVersion: 1, columns: { age: { mean: 41.5 } } };
      const v1 = await r().createVersion({
        model: name,
        packageDigest: fakeDigest('p1'),
        flavor: 'random-forest',
        signature: { inputs: [{ name: 'age', type: 'float64' }], outputs: [{ name: 'churn', type: 'float32' }] },
        profile,
        metrics: { f1: 0.81, auc: 0.9 },
        sourceRunId: 'run-1',
        datasetVersions: [{ name: 'secom', digest: fakeDigest('data') }],
        tags: { stage: 'candidate' },
        description: 'first',
        principal: 'trainer',
      });
      expect(v1).toMatchObject({
        model: name,
        version: 1,
        packageDigest: fakeDigest('p1'),
        flavor: 'random-forest',
        signature: {
          inputs: [{ name: 'age', type: 'float64', shape: [] }],
          outputs: [{ name: 'churn', type: 'float32', shape: [] }],
        },
        hasProfile: true,
        metrics: { f1: 0.81, auc: 0.9 },
        sourceRunId: 'run-1',
        datasetVersions: [{ name: 'secom', digest: fakeDigest('data') }],
        tags: { stage: 'candidate' },
        description: 'first',
        status: 'ready',
        aliases: [],
        createdBy: 'trainer',
      });
      const v2 = await r().createVersion({ model: name, packageDigest: fakeDigest('p2'), flavor: 'linear' });
      expect(v2.version).toBe(2);
      expect(v2.hasProfile).toBe(false);
      expect(await r().getVersion({ model: name, version: 1 })).toEqual(v1);
      expect(await r().getProfile({ model: name, version: 1 })).toEqual(profile);
      expect(await r().getProfile({ model: name, version: 2 })).toBeNull();

      // Numbers are never reused, even after a deletion.
      await r().deleteVersion({ model: name, version: 2 });
      const v3 = await r().createVersion({ model: name, packageDigest: fakeDigest('p3'), flavor: 'linear' });
      expect(v3.version).toBe(3);
    });

    it('validates the profile envelope, the digest and the model', async () => {
      const name = uniqueName();
      await r().createModel({ name });
      const noVersion = await rejection(
        r().createVersion({
          model: name,
          packageDigest: fakeDigest('x'),
          flavor: 'f',
          profile: { kind: 'p' } as unknown as { kind: string; schemaVersion: number },
        }),
      );
      expect(noVersion.code).toBe('INVALID_INPUT');
      expect(noVersion.details).toEqual([expect.objectContaining({ path: 'profile.schemaVersion' })]);
      const badSignature = await rejection(
        r().createVersion({
          model: name,
          packageDigest: fakeDigest('x'),
          flavor: 'f',
          signature: { inputs: [{ name: 'age', type: 'complex' as 'float64' }] },
        }),
      );
      expect(badSignature.code).toBe('INVALID_INPUT');
      expect(badSignature.details).toEqual([expect.objectContaining({ path: 'signature.inputs[0].type' })]);
      const badDigest = await rejection(r().createVersion({ model: name, packageDigest: 'md5:abc', flavor: 'f' }));
      expect(badDigest.details).toEqual([expect.objectContaining({ path: 'packageDigest' })]);
      const missing = await rejection(
        r().createVersion({ model: uniqueName(), packageDigest: fakeDigest('x'), flavor: 'f' }),
      );
      expect(missing.code).toBe('NOT_FOUND');
      expect((await rejection(r().getVersion({ model: name, version: 9 }))).code).toBe('NOT_FOUND');
      const badVersion = await rejection(r().getVersion({ model: name, version: 0 }));
      expect(badVersion.code).toBe('INVALID_INPUT');
      expect(badVersion.details).toEqual([expect.objectContaining({ path: 'version' })]);
    });

    it('lists and searches versions with filters and pages', async () => {
      const { name } = await modelWithVersions([{ f1: 0.1 }, { f1: 0.2 }, { f1: 0.3 }, { f1: 0.4 }]);
      await r().updateVersion({ model: name, version: 2, tags: { keep: 'yes' }, status: 'archived' });
      const all: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await r().listVersions({ model: name, limit: 3, cursor });
        all.push(...page.items.map((v) => v.version));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(all).toEqual([4, 3, 2, 1]);
      const archived = await r().listVersions({ model: name, status: 'archived' });
      expect(archived.items.map((v) => v.version)).toEqual([2]);
      expect((await r().listVersions({ model: name, tags: { keep: 'yes' } })).items.map((v) => v.version)).toEqual([2]);
      expect((await r().listVersions({ model: name, flavor: 'nope' })).items).toEqual([]);
    });

    it('updates description, tags and status', async () => {
      const { name } = await modelWithVersions([{ f1: 0.1 }]);
      await r().updateVersion({ model: name, version: 1, tags: { a: '1', b: '2' } });
      const v = await r().updateVersion({
        model: name,
        version: 1,
        description: 'checked',
        deleteTags: ['a'],
        status: 'archived',
      });
      expect(v).toMatchObject({ description: 'checked', tags: { b: '2' }, status: 'archived' });
      const bad = await rejection(r().updateVersion({ model: name, version: 1, status: 'gone' as 'ready' }));
      expect(bad.details).toEqual([expect.objectContaining({ path: 'status' })]);
    });
  });

  describe('aliases', () => {
    it('sets, resolves, moves, lists and deletes aliases, with history', async () => {
      const { name } = await modelWithVersions([{ f1: 0.1 }, { f1: 0.2 }]);
      const a = await r().setAlias({ model: name, alias: 'staging', version: 1, principal: 'carol', reason: 'smoke' });
      expect(a).toMatchObject({ model: name, alias: 'staging', version: 1, updatedBy: 'carol' });
      expect((await r().resolve({ model: name, alias: 'staging' })).version).toBe(1);
      await r().setAlias({ model: name, alias: 'staging', version: 2 });
      const resolved = await r().resolve({ model: name, alias: 'staging' });
      expect(resolved).toMatchObject({ version: 2, aliases: ['staging'] });
      expect((await r().listAliases(name)).map((x) => [x.alias, x.version])).toEqual([['staging', 2]]);

      await r().deleteAlias({ model: name, alias: 'staging', reason: 'done' });
      expect((await rejection(r().resolve({ model: name, alias: 'staging' }))).code).toBe('NOT_FOUND');
      expect((await rejection(r().deleteAlias({ model: name, alias: 'staging' }))).code).toBe('NOT_FOUND');

      const history = await r().aliasHistory({ model: name, alias: 'staging' });
      expect(history.items.map((h) => [h.action, h.fromVersion, h.toVersion, h.stack])).toEqual([
        ['delete', 2, null, [1, 2]],
        ['set', 1, 2, [1]],
        ['set', null, 1, []],
      ]);
      expect(history.items[2]).toMatchObject({ principal: 'carol', reason: 'smoke' });
      const paged = await r().aliasHistory({ model: name, alias: 'staging', limit: 2 });
      expect(paged.items).toHaveLength(2);
      const rest = await r().aliasHistory({ model: name, alias: 'staging', cursor: paged.nextCursor! });
      expect(rest.items.map((h) => h.id)).toEqual([history.items[2]!.id]);
    });

    it('refuses aliases to missing or non-ready versions', async () => {
      const { name } = await modelWithVersions([{ f1: 0.1 }]);
      expect((await rejection(r().setAlias({ model: name, alias: 'prod', version: 7 }))).code).toBe('NOT_FOUND');
      expect((await rejection(r().setAlias({ model: uniqueName(), alias: 'prod', version: 1 }))).code).toBe(
        'NOT_FOUND',
      );
      await r().updateVersion({ model: name, version: 1, status: 'failed' });
      expect((await rejection(r().setAlias({ model: name, alias: 'prod', version: 1 }))).code).toBe('CONFLICT');
      const badAlias = await rejection(r().setAlias({ model: name, alias: '1st', version: 1 }));
      expect(badAlias.code).toBe('INVALID_INPUT');
      expect(badAlias.details).toEqual([expect.objectContaining({ path: 'alias' })]);
    });

    it('refuses to delete a version an alias points to, or a model with aliases (CONFLICT)', async () => {
      const { name } = await modelWithVersions([{ f1: 0.1 }, { f1: 0.2 }]);
      await r().setAlias({ model: name, alias: 'production', version: 1 });
      const err = await rejection(r().deleteVersion({ model: name, version: 1 }));
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toContain('production');
      expect((await r().getVersion({ model: name, version: 1 })).version).toBe(1);
      expect((await rejection(r().updateVersion({ model: name, version: 1, status: 'archived' }))).code).toBe(
        'CONFLICT',
      );
      expect((await rejection(r().deleteModel({ name }))).code).toBe('CONFLICT');
      await r().deleteVersion({ model: name, version: 2 });
      expect((await rejection(r().getVersion({ model: name, version: 2 }))).code).toBe('NOT_FOUND');
    });
  });

  describe('gated promotion', () => {
    it('promotes when the gate passes and records the decision with its evidence', async () => {
      const { name } = await modelWithVersions([{ f1: 0.85 }]);
      const res = await r().promote({
        model: name,
        version: 1,
        alias: 'production',
        gate: { metric: 'f1', op: 'gte', value: 0.8 },
        reason: 'first release',
        principal: 'dave',
      });
      expect(res.alias).toMatchObject({ alias: 'production', version: 1, updatedBy: 'dave' });
      expect(res.decision).toMatchObject({
        passed: true,
        candidateVersion: 1,
        incumbentVersion: null,
        gate: { metric: 'f1', op: 'gte', value: 0.8 },
        principal: 'dave',
        reason: 'first release',
        evidence: { result: { gate: 'threshold', actual: 0.85, passed: true }, incumbent: null },
      });
      expect((await r().resolve({ model: name, alias: 'production' })).version).toBe(1);
    });

    it('refuses with GATE_FAILED, keeps the alias and records the failed decision', async () => {
      const { name } = await modelWithVersions([{ f1: 0.9 }, { f1: 0.85 }]);
      await r().promote({ model: name, version: 1, alias: 'production' });
      const err = await rejection(
        r().promote({
          model: name,
          version: 2,
          alias: 'production',
          gate: { metric: 'f1', notWorseThanIncumbentBy: 0.02, direction: 'max' },
          reason: 'weekly retrain',
        }),
      );
      expect(err.code).toBe('GATE_FAILED');
      expect(err.message).toContain('f1');
      const details = err.details as { decision: { id: number; passed: boolean; evidence: Record<string, unknown> } };
      expect(details.decision).toMatchObject({
        passed: false,
        evidence: {
          result: { gate: 'notWorseThanIncumbent', candidate: 0.85, incumbent: 0.9, passed: false },
          candidate: { version: 2, metrics: { f1: 0.85 } },
          incumbent: { version: 1, metrics: { f1: 0.9 } },
        },
      });
      expect((await r().resolve({ model: name, alias: 'production' })).version).toBe(1);
      const decisions = await r().listDecisions({ model: name, alias: 'production' });
      expect(decisions.items.map((d) => [d.candidateVersion, d.incumbentVersion, d.passed])).toEqual([
        [2, 1, false],
        [1, null, true],
      ]);
      expect(decisions.items[0]!.id).toBe(details.decision.id);
      expect((await r().listDecisions({ model: name, passed: false })).items).toHaveLength(1);
      const audit = await r().listAudit({ model: name, action: 'promotion.rejected' });
      expect(audit.items[0]).toMatchObject({ version: 2, fromVersion: 1, reason: 'weekly retrain' });
    });

    it('combines gates with all / any / not', async () => {
      const { name } = await modelWithVersions([
        { f1: 0.8, latency: 20 },
        { f1: 0.81, latency: 35 },
      ]);
      await r().promote({ model: name, version: 1, alias: 'champion' });
      const gate: Gate = {
        all: [
          { metric: 'f1', notWorseThanIncumbentBy: 0, direction: 'max' },
          { any: [{ metric: 'latency', op: 'lte', value: 30 }, { not: { metric: 'f1', op: 'lt', value: 0.95 } }] },
        ],
      };
      const err = await rejection(r().promote({ model: name, version: 2, alias: 'champion', gate }));
      expect(err.code).toBe('GATE_FAILED');
      const evidence = (err.details as { decision: { evidence: { result: { children: { passed: boolean }[] } } } })
        .decision.evidence.result;
      expect(evidence.children.map((c) => c.passed)).toEqual([true, false]);
      const ok = await r().promote({
        model: name,
        version: 2,
        alias: 'champion',
        gate: {
          any: [
            { metric: 'latency', op: 'lte', value: 30 },
            { metric: 'f1', improvesOnIncumbentBy: 0.01, direction: 'max' },
          ],
        },
      });
      expect(ok.decision.passed).toBe(true);
      expect(ok.decision.incumbentVersion).toBe(1);
    });

    it('compare-and-set: refuses with CONFLICT when the incumbent is not the expected one', async () => {
      const { name } = await modelWithVersions([{ f1: 0.8 }, { f1: 0.9 }, { f1: 0.95 }]);
      await r().promote({ model: name, version: 1, alias: 'production', expectedIncumbent: null });
      const err = await rejection(r().promote({ model: name, version: 3, alias: 'production', expectedIncumbent: 2 }));
      expect(err.code).toBe('CONFLICT');
      expect((await r().resolve({ model: name, alias: 'production' })).version).toBe(1);
      const ok = await r().promote({ model: name, version: 3, alias: 'production', expectedIncumbent: 1 });
      expect(ok.alias.version).toBe(3);
      const decisions = await r().listDecisions({ model: name });
      expect(decisions.items.map((d) => d.passed)).toEqual([true, false, true]);
    });

    it('rejects malformed gates with the field path', async () => {
      const { name } = await modelWithVersions([{ f1: 0.8 }]);
      const err = await rejection(
        r().promote({
          model: name,
          version: 1,
          alias: 'production',
          gate: { all: [{ metric: 'f1', op: 'gte', value: 'high' as unknown as number }] },
        }),
      );
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.details).toEqual([expect.objectContaining({ path: 'gate.all[0].value' })]);
      expect((await rejection(r().resolve({ model: name, alias: 'production' }))).code).toBe('NOT_FOUND');
      expect((await rejection(r().promote({ model: name, version: 5, alias: 'production' }))).code).toBe('NOT_FOUND');
    });

    if (options.remote) {
      it('refuses custom gate functions client-side with UNSUPPORTED', async () => {
        const { name } = await modelWithVersions([{ f1: 0.8 }]);
        const err = await rejection(
          r().promote({ model: name, version: 1, alias: 'production', gate: { all: [() => true] } }),
        );
        expect(err.code).toBe('UNSUPPORTED');
        expect(err.message).toMatch(/in-process only/);
        expect((await r().listDecisions({ model: name })).items).toEqual([]);
      });
    } else {
      it('runs custom gate functions in-process against the true incumbent', async () => {
        const { name } = await modelWithVersions([{ f1: 0.8 }, { f1: 0.7 }]);
        await r().promote({ model: name, version: 1, alias: 'production' });
        const seen: (number | null)[] = [];
        async function shadowTraffic(ctx: { incumbent: ModelVersion | null }) {
          seen.push(ctx.incumbent?.version ?? null);
          return { passed: false, message: 'errors up 3%', evidence: { errorRate: 0.03 } };
        }
        const err = await rejection(
          r().promote({ model: name, version: 2, alias: 'production', gate: { all: [shadowTraffic] } }),
        );
        expect(err.code).toBe('GATE_FAILED');
        expect(err.message).toContain('errors up 3%');
        expect(seen).toEqual([1]);
        const [d] = (await r().listDecisions({ model: name, passed: false })).items;
        expect(d).toMatchObject({
          gate: { all: [{ custom: 'shadowTraffic' }] },
          evidence: { result: { children: [{ gate: 'custom', evidence: { errorRate: 0.03 } }] } },
        });
      });
    }
  });

  describe('rollback', () => {
    it('walks back through previous targets, one per call, until there is none', async () => {
      const { name } = await modelWithVersions([{ f1: 0.7 }, { f1: 0.8 }, { f1: 0.9 }]);
      for (const version of [1, 2, 3]) await r().promote({ model: name, version, alias: 'production' });
      const first = await r().rollback({ model: name, alias: 'production', reason: 'latency spike' });
      expect(first).toMatchObject({ alias: { version: 2 }, fromVersion: 3, skipped: [] });
      const second = await r().rollback({ model: name, alias: 'production' });
      expect(second.alias.version).toBe(1);
      const none = await rejection(r().rollback({ model: name, alias: 'production' }));
      expect(none.code).toBe('CONFLICT');
      expect((await r().resolve({ model: name, alias: 'production' })).version).toBe(1);
    });

    it('is an undo: a promotion after a rollback pushes, the next rollback returns to it', async () => {
      const { name } = await modelWithVersions([{ f1: 0.7 }, { f1: 0.8 }, { f1: 0.9 }, { f1: 0.95 }]);
      for (const version of [1, 2, 3]) await r().setAlias({ model: name, alias: 'prod', version });
      await r().rollback({ model: name, alias: 'prod' }); // 3 → 2, stack [1]
      await r().promote({ model: name, version: 4, alias: 'prod' }); // 2 → 4, stack [1, 2]
      expect((await r().rollback({ model: name, alias: 'prod' })).alias.version).toBe(2);
      expect((await r().rollback({ model: name, alias: 'prod' })).alias.version).toBe(1);
      const history = await r().aliasHistory({ model: name, alias: 'prod' });
      expect(history.items.map((h) => `${h.action}:${h.fromVersion}->${h.toVersion}`)).toEqual([
        'rollback:2->1',
        'rollback:4->2',
        'promote:2->4',
        'rollback:3->2',
        'set:2->3',
        'set:1->2',
        'set:null->1',
      ]);
    });

    it('restores a deleted alias and skips versions that are gone', async () => {
      const { name } = await modelWithVersions([{ f1: 0.7 }, { f1: 0.8 }, { f1: 0.9 }]);
      for (const version of [1, 2, 3]) await r().setAlias({ model: name, alias: 'prod', version });
      await r().setAlias({ model: name, alias: 'other', version: 3 });
      await r().deleteAlias({ model: name, alias: 'prod' }); // stack [1, 2, 3]
      await r()
        .deleteVersion({ model: name, version: 3 })
        .catch(() => undefined); // refused: "other" points at 3
      await r().deleteAlias({ model: name, alias: 'other' });
      await r().deleteVersion({ model: name, version: 3 });
      const res = await r().rollback({ model: name, alias: 'prod' });
      expect(res).toMatchObject({ alias: { version: 2 }, fromVersion: null, skipped: [3] });
    });
  });

  describe('audit log', () => {
    it('records who, when, what and why for every write, newest first', async () => {
      const name = uniqueName();
      await r().createModel({ name, principal: 'erin', reason: 'new project' });
      await r().createVersion({ model: name, packageDigest: fakeDigest(name), flavor: 'f', metrics: { f1: 0.9 } });
      await r().updateVersion({ model: name, version: 1, tags: { x: 'y' }, principal: 'frank' });
      await r().promote({ model: name, version: 1, alias: 'production', reason: 'go live', principal: 'erin' });
      await r()
        .rollback({ model: name, alias: 'production' })
        .catch(() => undefined); // nothing to roll back to
      await r().deleteAlias({ model: name, alias: 'production', principal: 'gina', reason: 'incident' });
      const log = await r().listAudit({ model: name });
      expect(log.items.map((e) => [e.action, e.principal, e.reason])).toEqual([
        ['alias.deleted', 'gina', 'incident'],
        ['alias.promoted', 'erin', 'go live'],
        ['version.updated', 'frank', null],
        ['version.created', expect.any(String), null],
        ['model.created', 'erin', 'new project'],
      ]);
      const ids = log.items.map((e) => e.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      expect(log.items[1]).toMatchObject({ alias: 'production', version: 1, fromVersion: null });
      expect(log.items[1]!.details).toMatchObject({ decisionId: expect.any(Number) });
      expect(log.items.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
      const byErin = await r().listAudit({ model: name, principal: 'erin', limit: 1 });
      expect(byErin.items.map((e) => e.action)).toEqual(['alias.promoted']);
      const next = await r().listAudit({ model: name, principal: 'erin', cursor: byErin.nextCursor! });
      expect(next.items.map((e) => e.action)).toEqual(['model.created']);
    });

    it('offers no way to change or remove entries', () => {
      const api = r() as unknown as Record<string, unknown>;
      expect(Object.keys(api).filter((k) => /audit/i.test(k))).toEqual(['listAudit']);
    });
  });

  describe('change events', () => {
    it('delivers each committed write once, in order, filtered by model', async () => {
      const name = uniqueName();
      const other = uniqueName();
      const events: RegistryEvent[] = [];
      const mine: RegistryEvent[] = [];
      const stopAll = await r().subscribe((e) => events.push(e));
      const stopMine = await r().subscribe((e) => mine.push(e), { model: name });
      try {
        await r().createModel({ name });
        await r().createModel({ name: other });
        await r().createVersion({ model: name, packageDigest: fakeDigest(name), flavor: 'f' });
        await r().promote({ model: name, version: 1, alias: 'production', principal: 'hal' });
        const expected = ['model.created', 'version.created', 'alias.promoted'];
        await expect.poll(() => mine.map((e) => e.action), { timeout: 10_000 }).toEqual(expected);
        await expect
          .poll(() => events.filter((e) => e.model === name || e.model === other).length, { timeout: 10_000 })
          .toBe(4);
        expect(mine[2]).toMatchObject({
          model: name,
          alias: 'production',
          version: 1,
          fromVersion: null,
          principal: 'hal',
        });
        const audit = await r().listAudit({ model: name });
        expect(mine.map((e) => e.id)).toEqual(audit.items.map((e) => e.id).reverse());
      } finally {
        await stopAll();
        await stopMine();
      }
      const before = events.length;
      await r().createModel({ name: uniqueName() });
      // Give a (wrongly) still-open stream a chance to deliver, then check nothing came.
      await r().listModels({ limit: 1 });
      await new Promise((res) => setTimeout(res, 200));
      expect(events.length).toBe(before);
    });
  });
}
