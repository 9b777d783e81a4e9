import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import {
  modelsAliases,
  modelsAudit,
  modelsHistory,
  modelsLs,
  modelsPromote,
  modelsRollback,
  modelsVersions,
} from './handlers.js';

let ctx: CliContext;
const sinks = () => {
  const stdout = bufferSink();
  return { stdout, out: createOutput({ stdout, stderr: bufferSink() }) };
};

beforeAll(async () => {
  ctx = createCliContext({ store: 'memory://', env: {} });
  const registry = await ctx.registry();
  await registry.createModel({ name: 'm', description: 'demo' });
  for (const accuracy of [0.8, 0.85, 0.7]) {
    await registry.createVersion({
      model: 'm',
      packageDigest: `sha256:${'d'.repeat(64)}`,
      flavor: 'x',
      metrics: { accuracy },
    });
  }
});
afterAll(async () => {
  await ctx.close();
});

describe('models command functions (in-process registry)', () => {
  it('promote without an incumbent, then with gates; a refused gate throws GATE_FAILED and moves nothing', async () => {
    const first = sinks();
    await modelsPromote({ model: 'm', version: '1' }, ctx, first.out);
    expect(first.stdout.text).toContain('Promoted m v1 to production (no previous version)');

    await expect(
      modelsPromote({ model: 'm', version: '3', gate: ['accuracy>=incumbent'] }, ctx, sinks().out),
    ).rejects.toMatchObject({
      code: 'GATE_FAILED',
    });
    const ok = sinks();
    await modelsPromote(
      { model: 'm', version: '2', gate: ['accuracy>=incumbent+0.05'], reason: 'better' },
      ctx,
      ok.out,
    );
    expect(ok.stdout.text).toContain('(was v1)');
    expect(ok.stdout.text).toMatch(/pass\s+improvesOnIncumbent accuracy/);
  });

  it('compare-and-set: a wrong expected incumbent is CONFLICT', async () => {
    await expect(
      modelsPromote({ model: 'm', version: '3', alias: 'production', expectIncumbent: 'none' }, ctx, sinks().out),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('ls, versions, aliases and rollback print what the registry holds', async () => {
    const ls = sinks();
    await modelsLs({}, ctx, ls.out);
    expect(ls.stdout.text).toMatch(/^MODEL\s+ALIASES\s+DESCRIPTION\s+UPDATED\nm\s+production→v2\s+demo/);
    const versions = sinks();
    await modelsVersions({ model: 'm' }, ctx, versions.out);
    expect(versions.stdout.text).toMatch(/\n2\s+ready\s+production\s+accuracy=0\.85/);
    const back = sinks();
    await modelsRollback({ model: 'm' }, ctx, back.out);
    expect(back.stdout.text).toContain('v2 → v1');
    const aliases = sinks();
    await modelsAliases({ model: 'm' }, ctx, aliases.out);
    expect(aliases.stdout.text).toMatch(/production\s+1\s/);
    await expect(modelsVersions({ model: 'nope' }, ctx, sinks().out)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("history lists an alias's moves newest first; audit lists the log, filtered by model and action", async () => {
    const history = sinks();
    await modelsHistory({ model: 'm', alias: 'production' }, ctx, history.out);
    const lines = history.stdout.text.trim().split('\n');
    expect(lines[0]).toMatch(/^AT\s+ALIAS\s+ACTION\s+FROM\s+TO\s+BY\s+REASON$/);
    // set to v1, promoted to v2 ("better"), rolled back to v1: newest first
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['production', 'rollback', 'v2', 'v1'],
      ['production', 'promote', 'v1', 'v2'],
      ['production', 'promote', '-', 'v1'],
    ]);
    expect(lines[2]).toContain('better');
    const none = sinks();
    await modelsHistory({ model: 'm', alias: 'staging' }, ctx, none.out);
    expect(none.stdout.text).toBe('No alias history for m staging.\n');
    await expect(modelsHistory({ model: 'nope' }, ctx, sinks().out)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const audit = sinks();
    await modelsAudit({ model: 'm' }, ctx, audit.out);
    expect(audit.stdout.text).toMatch(/^AT\s+ACTION\s+MODEL\s+VERSION\s+ALIAS\s+FROM\s+BY\s+REASON\n/);
    expect(audit.stdout.text).toContain('alias.rolled-back');
    expect(audit.stdout.text).toContain('version.created');
    const rollbacks = sinks();
    await modelsAudit({ action: 'alias.rolled-back' }, ctx, rollbacks.out);
    const rows = rollbacks.stdout.text.trim().split('\n').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/alias\.rolled-back\s+m\s+v1\s+production\s+v2/);
  });
});
