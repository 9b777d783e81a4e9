import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { detectDrift } from '../detect/detect-drift.js';
import { driftReportSchema } from '../detect/schema.js';
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

describe('driftReportJson', () => {
  it('is the report as validated JSON', () => {
    const json = driftReportJson(result);
    expect(driftReportSchema.parse(JSON.parse(json))).toEqual(result);
    expect(JSON.parse(json).kind).toBe('mlops.drift/report');
  });
});
