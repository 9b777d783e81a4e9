// `mlops monitor` prints the accuracy estimated without labels (CBPE) when the logged outputs carry probabilities,
// the same estimate the server's gauges export (@mlops/monitoring's result), and it is in the --json result.
import { createPredictionLogger } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { estimatePerformance, monitoringSettingsTags } from '@mlops/monitoring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { bufferSink, createOutput } from '../../output.js';
import { monitorCommand } from './handlers.js';

let ctx: CliContext;
const n = 120;
const spread = (k: number) => Array.from({ length: n }, (_, i) => ((i * 37 + k) % 100) / 10);
const probabilities = Array.from({ length: n }, (_, i) => {
  const p = 0.55 + ((i * 13) % 40) / 100;
  return i % 2 ? [1 - p, p] : [p, 1 - p];
});

beforeAll(async () => {
  ctx = createCliContext({ store: 'memory://', env: {} });
  const registry = await ctx.registry();
  const store = await ctx.store();
  await registry.createModel({ name: 'proba' });
  await registry.createVersion({
    model: 'proba',
    packageDigest: `sha256:${'e'.repeat(64)}`,
    flavor: 'x',
    profile: createProfile({ a: spread(0) }),
    tags: monitoringSettingsTags({ estimatedMinimums: { accuracy: 0.9 } }),
  });
  await registry.setAlias({ model: 'proba', alias: 'production', version: 1 });
  const logger = createPredictionLogger({ store, flushIntervalMs: 10 });
  logger.logBatch({
    requestId: 'r-proba',
    model: 'proba',
    version: '1',
    alias: 'production',
    inputs: { a: spread(3) },
    outputs: { label: probabilities.map((p) => (p[1]! > p[0]! ? 'yes' : 'no')), probabilities },
  });
  await logger.close();
});
afterAll(async () => {
  await ctx.close();
});

describe('mlops monitor: estimated performance', () => {
  it('prints the estimate with its interval and its minimum, and crosses it without any label', async () => {
    const expected = estimatePerformance({ probabilities, classes: [0, 1] });
    const stdout = bufferSink();
    const code = await monitorCommand(
      { model: 'proba' },
      ctx,
      createOutput({ json: false, stdout, stderr: bufferSink() }),
    );
    expect(code).toBe(EXIT_CODES.OK);
    const acc = expected.accuracy.estimate.toFixed(4).replace(/0+$/, '');
    expect(stdout.text).toContain('Estimated without labels (CBPE on 120 predictions, calibration none, 95% interval)');
    expect(stdout.text).toMatch(new RegExp(`accuracy ${acc}\\S* \\[\\S+, \\S+\\] \\(minimum 0\\.9: BELOW\\)`));
    expect(stdout.text).toContain('Metrics from feedback: none');
    expect(stdout.text).toMatch(/Crossed: estimated accuracy \S+ \(without labels\) below its minimum 0\.9/);

    const json = bufferSink();
    await monitorCommand({ model: 'proba' }, ctx, createOutput({ json: true, stdout: json, stderr: bufferSink() }));
    const { monitoring } = JSON.parse(json.text);
    expect(monitoring.estimate.accuracy.estimate).toBeCloseTo(expected.accuracy.estimate, 12);
    expect(monitoring.settings.estimatedMinimums).toEqual({ accuracy: 0.9 });

    // a CronJob or CI check: the estimate below its minimum is its own non-zero exit code
    expect(
      await monitorCommand(
        { model: 'proba', failOnCrossing: true },
        ctx,
        createOutput({ json: true, stdout: bufferSink(), stderr: bufferSink() }),
      ),
    ).toBe(EXIT_CODES.ESTIMATED_BELOW_MINIMUM);
  });
});
