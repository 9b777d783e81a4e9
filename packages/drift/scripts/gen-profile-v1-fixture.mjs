#!/usr/bin/env node
// Writes test/fixtures/profile-v1.json: a schemaVersion 1 profile exactly as the release before mergeable profiles
// wrote it (generated with that code, then committed; never regenerate it with a later release). The migration test
// (src/profile/migrate.test.ts) reads it back with today's parseProfile, and checks that detectDrift against it gives
// the report that version gave (profile-v1-report.json, with the current batch it was computed on).
// Run from the repo root at the commit that still writes version 1:  npx tsx packages/drift/scripts/gen-profile-v1-fixture.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProfile, detectDrift } from '../src/index.ts';

let x = 2463534242;
const next = () => {
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  return x / 4294967296;
};
const makeRows = (n, shift) =>
  Array.from({ length: n }, (_, i) => {
    const u = next();
    return {
      age: i % 37 === 0 ? null : Math.round(20 + shift * 10 + 50 * next()),
      income: i % 53 === 0 ? Number.NaN : 1000 * (u * u * 80 + 10),
      score: Array.from({ length: 12 }, next).reduce((s, v) => s + v, -6 + shift),
      plan: ['basic', 'plus', 'pro'][Math.floor(next() * 3)],
      city: cities[Math.floor(next() * next() * cities.length)],
      vip: next() < 0.2 + shift / 4,
      note: Array.from({ length: 4 + Math.floor(next() * 6) }, () => words[Math.floor(next() * words.length)]).join(
        ' ',
      ),
      opened: new Date(Date.UTC(2025, 0, 1) + Math.floor(next() * 300) * 86_400_000).toISOString(),
      label: next() < 0.3 ? 'yes' : 'no',
      predicted: next() < 0.35 + shift / 5 ? 'yes' : 'no',
    };
  });
const cities = ['Paris', 'Lyon', 'Nice', 'Lille', 'Nantes', 'Brest', 'Caen', 'Metz', 'Pau', 'Dijon'];
const words = ['printer', 'network', 'password', 'reset', 'laptop', 'screen', 'broken', 'slow', 'email', 'vpn'];
const rows = makeRows(600, 0);
const profile = createProfile(rows, {
  sampleSize: 250,
  seed: 7,
  topCategories: 6,
  topTokens: 8,
  createdAt: '2026-12-01T00:00:00.000Z',
  columnMapping: { text: ['note'], target: 'label', prediction: 'predicted' },
});
const dir = join(import.meta.dirname, '..', 'test', 'fixtures');
// Stored as a model version stores it: compact JSON.
writeFileSync(join(dir, 'profile-v1.json'), `${JSON.stringify(profile)}\n`);
// The report that version's detectDrift gave for a shifted batch against that profile: a migrated profile must give
// the same one.
const current = makeRows(400, 0.5);
const report = detectDrift(JSON.parse(JSON.stringify(profile)), current, { createdAt: '2026-12-01T00:00:00.000Z' });
writeFileSync(join(dir, 'profile-v1-report.json'), `${JSON.stringify({ current, report })}\n`);
console.log(
  `wrote profile-v1.json (schemaVersion ${profile.schemaVersion}, ${profile.columns.length} columns) and profile-v1-report.json`,
);
