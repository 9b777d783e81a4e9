import type { ObjectStore, Store } from '@mlops/core';
import type { Registry } from '@mlops/registry';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import { retrainCommand } from './handlers.js';

const evaluation = {
  triggered: true,
  reasons: [
    { trigger: 'drift', message: 'data drift: 1 of 1 features drifted (text), share 1.00 ≥ 0.5' },
    { trigger: 'accuracy', message: 'accuracy 0.7937 below 0.8 on 601 labelled predictions' },
  ],
};

const ctx = {
  cwd: process.cwd(),
  store: async () => ({}) as Store,
  registry: async () => ({}) as Registry,
  objects: () => ({}) as ObjectStore,
} as unknown as CliContext;

async function dryRun(json: boolean) {
  const stdout = bufferSink();
  const stderr = bufferSink();
  const policy = {
    model: 'tickets',
    alias: 'production',
    evaluate: async () => evaluation,
    runOnce: async () => ({ status: 'no-action' }),
  };
  const code = await retrainCommand(
    { config: './retrain.config.mjs', dryRun: true, importModule: async () => ({ createPolicy: () => policy }) },
    ctx,
    createOutput({ json, stdout, stderr }),
  );
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('mlops retrain --dry-run output', () => {
  it('prints one human line per trigger, never raw JSON, without --json', async () => {
    const { code, stdout } = await dryRun(false);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'tickets@production: would retrain (2 triggers fired)',
        '  drift: data drift: 1 of 1 features drifted (text), share 1.00 ≥ 0.5',
        '  accuracy: accuracy 0.7937 below 0.8 on 601 labelled predictions',
        '',
      ].join('\n'),
    );
    expect(stdout).not.toMatch(/[{[]"/);
  });

  it('prints the evaluation as one JSON document with --json', async () => {
    const { stdout } = await dryRun(true);
    expect(JSON.parse(stdout)).toEqual({ model: 'tickets', alias: 'production', evaluation });
  });
});

describe('mlops retrain output', () => {
  it("names the retraining's tracked run beside the versions", async () => {
    const stdout = bufferSink();
    const policy = {
      model: 'tickets',
      alias: 'production',
      evaluate: async () => evaluation,
      runOnce: async () => ({
        status: 'promoted',
        candidateVersion: 2,
        incumbentVersion: 1,
        runId: 'r-42',
        error: null,
      }),
    };
    const code = await retrainCommand(
      { config: './retrain.config.mjs', importModule: async () => ({ createPolicy: () => policy }) },
      ctx,
      createOutput({ json: false, stdout, stderr: bufferSink() }),
    );
    expect(code).toBe(0);
    expect(stdout.text).toBe('tickets@production: promoted (candidate v2, incumbent v1, run r-42)\n');
  });
});
