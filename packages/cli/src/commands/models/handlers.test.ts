import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import { modelsAliases, modelsLs, modelsPromote, modelsRollback, modelsVersions } from './handlers.js';

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
});
