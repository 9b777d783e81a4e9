import { createAlert } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { escapeSlack, toJsonPayload, toSlackPayload } from './payload.js';

const a = createAlert({
  severity: 'critical',
  title: 'Drift on <tickets> v3',
  message: 'PSI 0.31 on `text` & more',
  labels: { model: 'tickets', version: '3' },
  time: '2026-01-02T03:04:05Z',
  dedupeKey: 'drift:tickets',
});

describe('payloads', () => {
  it('renders the generic JSON payload with an ISO time and the suppressed count', () => {
    expect(toJsonPayload(a, { suppressed: 2, suppressedSince: new Date('2026-01-02T03:00:00Z') })).toEqual({
      source: 'mlops',
      severity: 'critical',
      title: 'Drift on <tickets> v3',
      message: 'PSI 0.31 on `text` & more',
      labels: { model: 'tickets', version: '3' },
      time: '2026-01-02T03:04:05.000Z',
      dedupeKey: 'drift:tickets',
      suppressed: 2,
      suppressedSince: '2026-01-02T03:00:00.000Z',
    });
  });

  it('renders a Slack message: escaped text, header, section, context with labels and suppressed count', () => {
    const p = toSlackPayload(a, { suppressed: 3 });
    expect(p.text).toBe(':rotating_light: [CRITICAL] Drift on &lt;tickets&gt; v3 (3 similar alerts suppressed)');
    expect(p.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'CRITICAL: Drift on <tickets> v3' },
    });
    expect(p.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'PSI 0.31 on `text` &amp; more' } });
    const context = p.blocks[2];
    expect(context?.type).toBe('context');
    const texts = context?.type === 'context' ? context.elements.map((e) => e.text) : [];
    expect(texts).toContain('*model*: tickets');
    expect(texts).toContain(':mute: 3 similar alerts suppressed');
  });

  it('keeps within Slack limits (header 150 chars, section 3000, context 10 elements)', () => {
    const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, 'v']));
    const big = createAlert({ severity: 'info', title: 'x'.repeat(400), message: 'y'.repeat(10_000), labels });
    const p = toSlackPayload(big);
    const header = p.blocks[0];
    const section = p.blocks[1];
    const context = p.blocks[2];
    expect(header?.type === 'header' && header.text.text.length).toBe(150);
    expect(section?.type === 'section' && section.text.text.length).toBe(3000);
    expect(context?.type === 'context' && context.elements.length).toBe(10);
  });

  it('escapes Slack control characters', () => {
    expect(escapeSlack('<a> & <b>')).toBe('&lt;a&gt; &amp; &lt;b&gt;');
  });
});
