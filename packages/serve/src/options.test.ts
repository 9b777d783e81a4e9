import { isMlopsError, type Predictor } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { type ModelServerOptions, resolveOptions, SERVER_DEFAULTS } from './options.js';

const predictor: Predictor = {
  signature: { inputs: [{ name: 'x', type: 'float64', shape: [] }], outputs: [] },
  batchable: true,
  predict: async () => ({}),
};
const models = [{ name: 'm', predictor }];

function errorOf(options: ModelServerOptions) {
  try {
    resolveOptions(options);
  } catch (err) {
    if (isMlopsError(err)) {
      const details = (err.details ?? []) as { path: string }[];
      return { code: err.code, paths: details.map((d) => d.path) };
    }
    throw err;
  }
  throw new Error('expected resolveOptions to throw');
}

describe('resolveOptions', () => {
  it('applies every default from SERVER_DEFAULTS', () => {
    const o = resolveOptions({ models });
    expect(o.host).toBe(SERVER_DEFAULTS.host);
    expect(o.limits).toEqual({
      maxBodyBytes: SERVER_DEFAULTS.maxBodyBytes,
      maxRows: SERVER_DEFAULTS.maxRows,
      maxConcurrency: SERVER_DEFAULTS.maxConcurrency,
      maxQueue: SERVER_DEFAULTS.maxQueue,
      requestTimeoutMs: SERVER_DEFAULTS.requestTimeoutMs,
      retryAfterSeconds: SERVER_DEFAULTS.retryAfterSeconds,
    });
    expect(o.auth).toEqual({ mode: 'auto', store: undefined, cacheMs: SERVER_DEFAULTS.authCacheMs });
    expect([o.title, o.defaultMetrics, o.publicMetrics, o.drainTimeoutMs]).toEqual([
      SERVER_DEFAULTS.title,
      true,
      true,
      SERVER_DEFAULTS.drainTimeoutMs,
    ]);
    expect(o.logging).toBeUndefined(); // no store: no prediction log
    expect(o.monitoring).toBeUndefined();
  });

  it('keeps the values given', () => {
    const o = resolveOptions({ models, limits: { maxConcurrency: 3, maxQueue: 0 }, auth: 'disabled', title: 'T' });
    expect([o.limits.maxConcurrency, o.limits.maxQueue, o.limits.maxRows]).toEqual([3, 0, SERVER_DEFAULTS.maxRows]);
    expect([o.auth.mode, o.title]).toEqual(['disabled', 'T']);
  });

  it.each([
    [{ limits: { maxConcurrency: 0 } }, 'options.limits.maxConcurrency'],
    [{ limits: { maxQueue: -1 } }, 'options.limits.maxQueue'],
    [{ limits: { maxBodyBytes: 1.5 } }, 'options.limits.maxBodyBytes'],
    [{ limits: { requestTimeoutMs: 0 } }, 'options.limits.requestTimeoutMs'],
    [{ limits: { maxRowz: 1 } }, 'options.limits.maxRowz'],
    [{ batching: { maxBatchSize: 0 } }, 'options.batching'],
    [{ drainTimeoutMs: -5 }, 'options.drainTimeoutMs'],
    [{ auth: 'sometimes' }, 'options.auth'],
    [{ host: '' }, 'options.host'],
  ])('refuses %j with INVALID_INPUT at %s', (extra, path) => {
    const e = errorOf({ models, ...(extra as Partial<ModelServerOptions>) });
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.paths.some((p) => p.startsWith(path))).toBe(true);
  });

  it('refuses an invalid or repeated model name', () => {
    expect(errorOf({ models: [{ name: 'a b', predictor }] })).toEqual({
      code: 'INVALID_INPUT',
      paths: ['models.name'],
    });
    expect(errorOf({ models: [...models, ...models] }).code).toBe('CONFLICT');
  });

  it('refuses a non-loopback host without a store holding API keys (auth fails closed)', () => {
    expect(errorOf({ models, host: '0.0.0.0' })).toEqual({ code: 'INVALID_INPUT', paths: ['store'] });
    expect(resolveOptions({ models, host: '0.0.0.0', auth: 'disabled' }).auth.mode).toBe('disabled');
  });
});
