import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDrift } from '../detect/detect-drift.js';
import { DriftError } from '../errors.js';
import { createProfile } from './create-profile.js';
import { mergeProfiles } from './merge.js';
import { PROFILE_SCHEMA_VERSION, parseProfile, profileSchema } from './schema.js';

// Written by the release before mergeable profiles (scripts/gen-profile-v1-fixture.mjs at that commit), never
// regenerated: what a model version stored then.
const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const v1Json = readFileSync(join(FIXTURES, 'profile-v1.json'), 'utf8');
const v1 = JSON.parse(v1Json);
const { current, report } = JSON.parse(readFileSync(join(FIXTURES, 'profile-v1-report.json'), 'utf8'));

describe('profiles stored by schema version 1', () => {
  it('load as the current version with every field kept', () => {
    expect(v1.schemaVersion).toBe(1);
    const migrated = parseProfile(v1Json);
    expect(migrated.schemaVersion).toBe(PROFILE_SCHEMA_VERSION);
    expect(PROFILE_SCHEMA_VERSION).toBe(2);
    expect({ ...migrated, schemaVersion: 1 }).toEqual(v1);
    expect(migrated.columns.some((c) => c.sketch !== undefined || c.distinctSketch !== undefined)).toBe(false);
    // the migrated profile is a valid current profile, and reads back as itself
    expect(profileSchema.safeParse(JSON.parse(JSON.stringify(migrated))).success).toBe(true);
    expect(parseProfile(JSON.stringify(migrated))).toEqual(migrated);
  });

  it('give detectDrift the very report that version gave', () => {
    const migrated = parseProfile(v1Json);
    expect(detectDrift(migrated, current, { createdAt: '2026-12-01T00:00:00.000Z' })).toEqual(report);
    // passed unparsed (as a monitor or a registry hands it over) too
    expect(detectDrift(JSON.parse(v1Json), current, { createdAt: '2026-12-01T00:00:00.000Z' })).toEqual(report);
  });

  it('cannot be merged (no sketches) and say so', () => {
    const migrated = parseProfile(v1Json);
    expect(() => mergeProfiles(migrated, migrated)).toThrow(DriftError);
    expect(() => mergeProfiles(migrated, migrated)).toThrow(
      /has no (quantile|distinct-count) sketch.*profile its data again/,
    );
  });

  it('are still validated: a broken version-1 profile is INVALID_INPUT with the field path', () => {
    const broken = JSON.parse(v1Json);
    broken.columns[0].count = -1;
    try {
      parseProfile(broken);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DriftError);
      expect((err as DriftError).code).toBe('INVALID_INPUT');
      expect(JSON.stringify((err as DriftError).details)).toContain('columns[0].count');
    }
    expect(() => parseProfile({ ...v1, schemaVersion: 0 })).toThrow(/unsupported profile schemaVersion 0/);
  });

  it("and today's profile of small data keeps the version-1 fields as version 1 computed them", () => {
    // createProfile on in-memory data: exact counts and quartiles, sorted reservoir, as before; sketches added.
    const data = { x: [5, 1, 4, 2, 3, null], c: ['a', 'b', 'a', null, 'c', 'a'] };
    const p = createProfile(data, { sampleSize: 3, seed: 1 });
    const x = p.columns[0]!;
    expect(x).toMatchObject({ count: 6, missing: 1, distinct: 5 });
    expect(x.numeric).toEqual({ mean: 3, std: Math.sqrt(2.5), min: 1, q25: 2, q50: 3, q75: 4, max: 5 });
    expect(x.sketch).toMatchObject({ n: 5, min: 1, max: 5, levels: [[1, 2, 3, 4, 5]] });
    expect(p.columns[1]!.categories).toEqual({
      top: [
        { value: 'a', count: 3 },
        { value: 'b', count: 1 },
        { value: 'c', count: 1 },
      ],
      otherCount: 0,
    });
  });
});
