import { describe, expect, it } from 'vitest';
import { MlopsError } from '../errors.js';
import { WINDOW_SETTINGS_TAG, windowSettingsFromTags, windowSettingsTags } from './window-settings.js';

describe('window settings stored with a model version', () => {
  it('round-trips through a version tag', () => {
    const tags = windowSettingsTags({ windowMs: 3_600_000, minSamples: 50, metrics: ['accuracy', 'recall:fail'] });
    expect(Object.keys(tags)).toEqual([WINDOW_SETTINGS_TAG]);
    expect(windowSettingsFromTags({ other: 'x', ...tags })).toEqual({
      windowMs: 3_600_000,
      minSamples: 50,
      metrics: ['accuracy', 'recall:fail'],
    });
  });

  it('is null without the tag', () => {
    expect(windowSettingsFromTags(undefined)).toBeNull();
    expect(windowSettingsFromTags({ team: 'ml' })).toBeNull();
  });

  it('rejects invalid settings with field paths under the tag', () => {
    const paths = (raw: string) => {
      try {
        windowSettingsFromTags({ [WINDOW_SETTINGS_TAG]: raw });
      } catch (err) {
        expect(err).toBeInstanceOf(MlopsError);
        return ((err as MlopsError).details as { path: string }[]).map((d) => d.path);
      }
      throw new Error('expected a throw');
    };
    expect(paths('not json')).toEqual(['tags["mlops.monitoring"]']);
    expect(paths('{"windowMs": -5, "metrics": ["bogus"], "extra": 1}')).toEqual(
      expect.arrayContaining([
        'tags["mlops.monitoring"].windowMs',
        'tags["mlops.monitoring"].metrics.0',
        'tags["mlops.monitoring"].extra',
      ]),
    );
    expect(() => windowSettingsTags({ limit: 0 })).toThrow(MlopsError);
  });
});
