import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { monitoringSettingsTags } from '@mlops/monitoring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { bufferSink, createOutput } from '../../output.js';
import { run } from '../../program.js';
import { monitorCommand } from './handlers.js';

let ctx: CliContext;
const sinks = (json = false) => {
  const stdout = bufferSink();
  return { stdout, out: createOutput({ json, stdout, stderr: bufferSink() }) };
};
const n = 120;
const spread = (k: number) => Array.from({ length: n }, (_, i) => ((i * 37 + k) % 100) / 10);

beforeAll(async () => {
  ctx = createCliContext({ store: 'memory://', env: {} });
  const registry = await ctx.registry();
  const store = await ctx.store();
  const reference = createProfile({ a: spread(0), b: spread(7) });
  // healthy: same inputs as the reference, 75 % right; broken: `b` renamed; drifted: `a` and `b` shifted by 20.
  for (const name of ['healthy', 'broken', 'drifted']) {
    await registry.createModel({ name });
    await registry.createVersion({
      model: name,
      packageDigest: `sha256:${'d'.repeat(64)}`,
      flavor: 'x',
      profile: reference,
      tags: monitoringSettingsTags({ minimums: { accuracy: 0.8 } }),
    });
    await registry.setAlias({ model: name, alias: 'production', version: 1 });
    const shift = name === 'drifted' ? 20 : 0;
    const logger = createPredictionLogger({ store, flushIntervalMs: 10 });
    const { ids } = logger.logBatch({
      requestId: `r-${name}`,
      model: name,
      version: '1',
      alias: 'production',
      inputs: {
        a: spread(3).map((v) => v + shift),
        [name === 'broken' ? 'b_renamed' : 'b']: spread(11).map((v) => v + shift),
      },
      outputs: { label: Array.from({ length: n }, (_, i) => (i % 2 ? 'yes' : 'no')) },
    });
    await logger.close();
    for (const [i, id] of ids.slice(0, 40).entries()) {
      await recordFeedback({ store, predictionId: id, label: i < 30 ? (i % 2 ? 'yes' : 'no') : 'maybe' });
    }
  }
});
afterAll(async () => {
  await ctx.close();
});

describe('mlops monitor', () => {
  it('prints the verdict, drift and data quality per feature, metrics with their minimum, and what was crossed', async () => {
    const { stdout, out } = sinks();
    expect(await monitorCommand({ model: 'healthy' }, ctx, out)).toBe(EXIT_CODES.OK);
    const text = stdout.text;
    expect(text).toMatch(/^healthy v1 \(production\) · window .* \(1d, default\) · 120 predictions, 40 with feedback/);
    expect(text).toContain('Verdict: ok (0 of 2 features drifted');
    expect(text).toMatch(/^FEATURE\s+TYPE\s+TEST\s+SCORE\s+DRIFT\s+MISSING\s+OUT OF RANGE$/m);
    expect(text).toMatch(/^a\s+numerical\s+ks\s+\S+\s+no\s+0\.0%\s+0\.0%$/m);
    expect(text).toContain('accuracy 0.75 (minimum 0.8, version: BELOW)');
    expect(text).toContain('Crossed: accuracy 0.75 below its minimum 0.8');
    // --fail-on-crossing: 10 for a metric below its minimum
    expect(await monitorCommand({ model: 'healthy', failOnCrossing: true }, ctx, sinks().out)).toBe(
      EXIT_CODES.METRIC_BELOW_MINIMUM,
    );
  });

  it('a broken feed says so (no drift verdict) and exits 9 with --fail-on-crossing; drift exits 8', async () => {
    const broken = sinks();
    expect(await monitorCommand({ model: 'broken', failOnCrossing: true }, ctx, broken.out)).toBe(
      EXIT_CODES.FEED_BROKEN,
    );
    expect(broken.stdout.text).toContain('Verdict: BROKEN FEED: no drift verdict; retraining is blocked');
    expect(broken.stdout.text).toContain('  broken: b is missing from the logged inputs');
    expect(broken.stdout.text).toContain('  warning: input b_renamed is not in the reference profile');
    expect(broken.stdout.text).toMatch(/^b\s+numerical\s+-\s+-\s+missing\s+100\.0%\s+-$/m);
    const drifted = sinks();
    expect(await monitorCommand({ model: 'drifted', failOnCrossing: true }, ctx, drifted.out)).toBe(
      EXIT_CODES.DRIFT_DETECTED,
    );
    expect(drifted.stdout.text).toContain('Verdict: DRIFTED (2 of 2 features');
    expect(drifted.stdout.text).toMatch(/^a\s+numerical\s+\S+\s+\S+\s+yes\s+0\.0%\s+100\.0%$/m);
  });

  it('--json gives the monitoring result; the caller settings apply where the version stores none', async () => {
    const { stdout, out } = sinks(true);
    await monitorCommand({ model: 'broken', version: 1, settings: { minSamples: 200 } }, ctx, out);
    const json = JSON.parse(stdout.text) as {
      monitoring: { status: string; sources: Record<string, unknown>; settings: { minSamples: number } };
    };
    expect(json.monitoring.status).toBe('insufficient');
    expect(json.monitoring.settings.minSamples).toBe(200);
    expect(json.monitoring.sources).toMatchObject({ minSamples: 'caller', minimums: { accuracy: 'version' } });
    expect('drift' in json.monitoring).toBe(false);
  });

  it('parses its options through the program: a bad --window is a usage error, an unknown model not found', async () => {
    const stderr = bufferSink();
    expect(await run(['monitor', 'healthy', '--window', 'soon', '--store', 'memory://'], { stderr, env: {} })).toBe(
      EXIT_CODES.USAGE,
    );
    expect(stderr.text).toContain('Invalid --window "soon"');
    expect(
      await run(['monitor', 'nope', '--store', 'memory://'], { stderr: bufferSink(), stdout: bufferSink(), env: {} }),
    ).toBe(EXIT_CODES.NOT_FOUND);
  });
});
