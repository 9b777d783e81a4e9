// Regenerates the example reports shown in the README, from seeded synthetic loan applications:
//   node scripts/build.mjs @mlops/drift && node packages/drift/docs/generate-example.mjs \
//     && npx biome format --write packages/drift/docs/drift-report.json
// Writes drift-report.html, drift-report.json and quality-report.html beside this file (the PNG is a screenshot of
// drift-report.html, see the README).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createProfile,
  dataQualityReport,
  detectDrift,
  driftReportJson,
  renderDriftReportHtml,
  renderQualityReportHtml,
} from '@mlops/drift';

const here = dirname(fileURLToPath(import.meta.url));

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function applications(n, seed, shifted) {
  const random = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const pick = (values, weights) => {
    let x = random() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < values.length; i++) {
      x -= weights[i];
      if (x < 0) return values[i];
    }
    return values.at(-1);
  };
  const purposes = shifted
    ? ['crypto mining rig', 'pay off credit card debt', 'start an online shop', 'new car', 'solar panels for the house']
    : ['new car', 'home renovation', 'pay off credit card debt', 'wedding costs', 'university tuition'];
  return Array.from({ length: n }, () => {
    const income = Math.round(Math.exp(10.6 + 0.45 * normal() + (shifted ? 0.25 : 0)));
    const age = Math.max(18, Math.round(41 + 12 * normal()));
    const score = Math.round(Math.min(850, Math.max(300, 690 + 60 * normal())));
    return {
      income,
      age,
      credit_score: score,
      loan_amount: Math.round(income * (0.2 + 0.15 * random()) * (shifted ? 1.6 : 1)),
      term_months: pick([12, 24, 36, 60], shifted ? [1, 2, 3, 6] : [2, 3, 4, 2]),
      region: pick(['north', 'south', 'east', 'west'], shifted ? [2, 2, 1, 5] : [3, 3, 2, 2]),
      employment: pick(['salaried', 'self-employed', 'student', 'retired'], [6, 2, 1, 1]),
      purpose:
        `${pick(purposes, [3, 3, 2, 1, 1])} ${pick(['soon', 'this year', 'asap', 'next month', ''], [1, 1, 1, 1, 1])}`.trim(),
      defaulted: random() < (shifted ? 0.14 : 0.08) ? 'yes' : 'no',
      application_id: Math.floor(random() * 1e9).toString(36),
    };
  });
}

const reference = applications(2000, 1, false);
const current = applications(1500, 2, true);
const columnMapping = { text: ['purpose'], target: 'defaulted', exclude: ['application_id'] };
const createdAt = '2026-03-01T09:00:00.000Z';

const profile = createProfile(reference, { columnMapping });
// A profile does not remember excluded columns: pass `exclude` again, or application_id shows as a new column.
const result = detectDrift(profile, current, { createdAt, columnMapping: { exclude: columnMapping.exclude } });
writeFileSync(join(here, 'drift-report.html'), renderDriftReportHtml(result, { title: 'Loan applications: drift' }));
writeFileSync(join(here, 'drift-report.json'), driftReportJson(result));
const quality = dataQualityReport(current, { columnMapping, createdAt });
writeFileSync(
  join(here, 'quality-report.html'),
  renderQualityReportHtml(quality, { title: 'Loan applications: data quality' }),
);
console.log(
  `dataset: ${result.dataset.status} (${result.dataset.driftedColumns}/${result.dataset.columns}), target drift: ${result.targetDrift}`,
);
for (const c of result.columns)
  console.log(`  ${c.column.padEnd(14)} ${c.test.padEnd(18)} ${c.score.toPrecision(3)} ${c.drifted ? 'DRIFT' : ''}`);
