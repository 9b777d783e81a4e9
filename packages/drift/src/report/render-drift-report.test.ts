import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { detectDrift } from '../detect/detect-drift.js';
import { driftReportSchema } from '../detect/schema.js';
import { renderQualityReportHtml } from '../quality/render-quality-report-html.js';
import { driftReportJson, renderDriftReportHtml, sortByDrift } from './render-drift-report.js';

const evil = '<script>alert("x")</script>';
const reference = {
  calm: normalSample(300, 0, 1, 1),
  [evil]: normalSample(300, 0, 1, 2),
  mild: normalSample(300, 0, 1, 3),
};
const current = {
  calm: normalSample(300, 0, 1, 4),
  [evil]: normalSample(300, 3, 1, 5),
  mild: normalSample(300, 0.4, 1, 6),
};
const result = detectDrift(reference, current);

describe('reports that are not drift reports', () => {
  it('driftReportJson, renderDriftReportHtml, sortByDrift and renderQualityReportHtml throw INVALID_INPUT, not a ZodError or TypeError', () => {
    for (const bad of [{}, null, { kind: 'mlops.drift/report' }, { columns: 3 }]) {
      for (const f of [
        () => driftReportJson(bad as never),
        () => renderDriftReportHtml(bad as never),
        () => sortByDrift((bad as { columns?: never } | null)?.columns ?? (bad as never)),
        () => renderQualityReportHtml(bad as never),
      ]) {
        expect(f, JSON.stringify(bad)).toThrow(expect.objectContaining({ name: 'DriftError', code: 'INVALID_INPUT' }));
      }
    }
  });
});

describe('renderDriftReportHtml', () => {
  const html = renderDriftReportHtml(result);

  it('draws one inline SVG histogram per column', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('<rect');
  });

  it('is self-contained: no scripts, no external URLs', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/@import|url\(/);
  });

  it('escapes column names', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('orders columns by drift: drifted first, strongest first', () => {
    expect(sortByDrift(result.columns).map((c) => c.column)).toEqual([evil, 'mild', 'calm']);
    const cards = [...html.matchAll(/<section class="col[^"]*"><h3>([^<]*)/g)].map((m) => m[1]?.trim());
    expect(cards).toEqual(['&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;', 'mild', 'calm']);
    expect(html).toContain('dataset drift');
  });
});

describe('renderDriftReportHtml on a broken feed', () => {
  const { calm, mild } = current;
  const broken = detectDrift(reference, {
    calm: calm.map(() => null),
    mild: mild.map((x) => `${x.toFixed(2)} kg`),
    renamed: current[evil],
  });
  const html = renderDriftReportHtml(broken);

  it('shows the broken verdict first, never "not detected"', () => {
    expect(broken.dataset.status).toBe('broken');
    expect(html).toContain('<div class="alert" role="alert">');
    expect(html.indexOf('role="alert"')).toBeLessThan(html.indexOf('<div class="cards">'));
    expect(html).toMatch(/<b class="bad">broken feed<\/b>/);
    expect(html).not.toContain('not detected');
  });

  it('lists every schema problem with its column, escaped', () => {
    const alert = html.slice(html.indexOf('role="alert"'), html.indexOf('<div class="cards">'));
    expect(alert).toContain('Missing columns');
    expect(alert).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(alert).toContain('New columns');
    expect(alert).toContain('renamed');
    expect(alert).toContain('Type changed');
    expect(alert).toMatch(/mild.*expected numerical, found string.*300 of 300 values/s);
    expect(alert).toContain('Empty columns');
    expect(alert).toContain('calm');
  });

  it('shows conversions as a warning on an ok feed', () => {
    const ok = renderDriftReportHtml(detectDrift(reference, { ...current, calm: current.calm.map(String) }));
    expect(ok).not.toContain('role="alert"');
    expect(ok).toContain('Converted to the reference type');
    expect(ok).toMatch(/calm: 300 string values converted to numerical/);
  });

  it('says "no rows" for an empty feed', () => {
    const empty = renderDriftReportHtml(detectDrift(reference, []));
    expect(empty).toContain('The current data has no rows');
  });
});

describe('driftReportJson', () => {
  it('is the report as validated JSON', () => {
    const json = driftReportJson(result);
    expect(driftReportSchema.parse(JSON.parse(json))).toEqual(result);
    expect(JSON.parse(json).kind).toBe('mlops.drift/report');
  });
});
