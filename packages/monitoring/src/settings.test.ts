import { MlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import {
  MONITORING_DEFAULTS,
  MONITORING_SETTINGS_TAG,
  monitoringSettingsFromTags,
  monitoringSettingsTags,
  resolveMonitoringSettings,
} from './settings.js';

const paths = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MlopsError);
    return ((err as MlopsError).details as { path: string }[]).map((d) => d.path);
  }
  throw new Error('expected a throw');
};

describe('monitoring settings stored with a model version', () => {
  it('round-trip through the version tag, thresholds included', () => {
    const tags = monitoringSettingsTags({
      windowMs: 3_600_000,
      minSamples: 50,
      metrics: ['accuracy', 'recall:fail'],
      driftShare: 0.3,
      minimums: { accuracy: 0.85 },
    });
    expect(Object.keys(tags)).toEqual([MONITORING_SETTINGS_TAG]);
    expect(monitoringSettingsFromTags({ other: 'x', ...tags })).toEqual({
      windowMs: 3_600_000,
      minSamples: 50,
      metrics: ['accuracy', 'recall:fail'],
      driftShare: 0.3,
      minimums: { accuracy: 0.85 },
    });
    expect(monitoringSettingsFromTags(undefined)).toBeNull();
    expect(monitoringSettingsFromTags({ team: 'ml' })).toBeNull();
  });

  it('rejects invalid settings with field paths under the tag, and the old names', () => {
    const at = (raw: string) => paths(() => monitoringSettingsFromTags({ [MONITORING_SETTINGS_TAG]: raw }));
    expect(at('not json')).toEqual(['tags["mlops.monitoring"]']);
    expect(at('[1]')).toEqual(['tags["mlops.monitoring"]']);
    expect(at('{"windowMs": -5, "metrics": ["bogus"], "durationMs": 1, "minimums": {"accuracy": 2}}')).toEqual(
      expect.arrayContaining([
        'tags["mlops.monitoring"].windowMs',
        'tags["mlops.monitoring"].metrics.0',
        'tags["mlops.monitoring"].durationMs',
        'tags["mlops.monitoring"].minimums.accuracy',
      ]),
    );
    expect(() => monitoringSettingsTags({ limit: 0 })).toThrow(MlopsError);
  });
});

describe('resolveMonitoringSettings', () => {
  it('uses the built-in defaults when nothing is given, each with source "default"', () => {
    const r = resolveMonitoringSettings();
    expect(r.settings).toEqual({ ...MONITORING_DEFAULTS, metrics: ['accuracy', 'macroF1'] });
    expect(r.sources.windowMs).toBe('default');
    expect(r.sources.driftShare).toBe('default');
    expect(r.sources.minimums).toEqual({});
    expect(r.error).toBeUndefined();
  });

  it('lets the stored value win field by field, then the caller, with the source', () => {
    const r = resolveMonitoringSettings({
      tags: monitoringSettingsTags({ windowMs: 60_000, minimums: { accuracy: 0.9 } }),
      defaults: { windowMs: 5_000, limit: 7, driftShare: 0.25, minimums: { accuracy: 0.5, macroF1: 0.6 } },
    });
    expect(r.settings).toMatchObject({
      windowMs: 60_000,
      limit: 7,
      minSamples: 30,
      driftShare: 0.25,
      // one field: the stored map replaces the caller's (its macroF1 minimum does not apply)
      minimums: { accuracy: 0.9 },
    });
    expect(r.sources).toMatchObject({
      windowMs: 'version',
      limit: 'caller',
      minSamples: 'default',
      driftShare: 'caller',
      minimums: { accuracy: 'version' },
    });
    // A stored {} means "no minimums", whatever the caller's defaults.
    const none = resolveMonitoringSettings({
      tags: monitoringSettingsTags({ minimums: {} }),
      defaults: { minimums: { accuracy: 0.5 } },
    });
    expect(none.settings.minimums).toEqual({});
    expect(none.settings.metrics).toEqual(['accuracy', 'macroF1']);
  });

  it('computes every metric that has a minimum', () => {
    const r = resolveMonitoringSettings({ defaults: { metrics: ['accuracy'], minimums: { 'recall:fail': 0.5 } } });
    expect(r.settings.metrics).toEqual(['accuracy', 'recall:fail']);
  });

  it('ignores an invalid tag (saying why) but throws on invalid caller defaults', () => {
    const r = resolveMonitoringSettings({
      tags: { [MONITORING_SETTINGS_TAG]: '{"minSamples": -1}' },
      defaults: { minSamples: 5 },
    });
    expect(r.settings.minSamples).toBe(5);
    expect(r.sources.minSamples).toBe('caller');
    expect(r.error).toMatch(/minSamples/);
    expect(paths(() => resolveMonitoringSettings({ defaults: { windowMs: 0 } }))).toEqual(['monitoring.windowMs']);
    expect(paths(() => resolveMonitoringSettings({ defaults: { durationMs: 5 } as never }))).toEqual([
      'monitoring.durationMs',
    ]);
  });
});
