import { createAlert } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { createSuppressor } from './suppression.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const alert = (severity: 'info' | 'warning' | 'critical', message = 'psi 0.3', dedupeKey = 'drift:tickets') =>
  createAlert({ severity, title: 'Drift on tickets', message, dedupeKey });

describe('createSuppressor', () => {
  it('sends an identical alert once within the dedupe window, again after it', () => {
    const c = clock();
    const s = createSuppressor({ dedupeWindowMs: 1000, cooldownMs: 0, now: c.now });
    const first = s.decide(alert('warning'));
    expect(first.action).toBe('send');
    if (first.action === 'send') first.commit();
    c.advance(500);
    expect(s.decide(alert('warning')).action).toBe('deduplicated');
    // A different message is not a duplicate (cooldown is off).
    const other = s.decide(alert('warning', 'psi 0.4'));
    expect(other.action).toBe('send');
    if (other.action === 'send') other.commit();
    c.advance(1000);
    const again = s.decide(alert('warning', 'psi 0.4'));
    expect(again).toMatchObject({ action: 'send', suppressed: 0 });
  });

  it('lets at most one alert per key through per cooldown and reports the suppressed count next', () => {
    const c = clock();
    const s = createSuppressor({ dedupeWindowMs: 0, cooldownMs: 1000, now: c.now });
    const first = s.decide(alert('warning', 'flap 0'));
    if (first.action === 'send') first.commit();
    const since = c.now();
    for (let i = 1; i <= 5; i++) {
      c.advance(100);
      expect(s.decide(alert('warning', `flap ${i}`)).action).toBe('cooldown');
    }
    // Other keys are independent.
    expect(s.decide(alert('warning', 'x', 'drift:other')).action).toBe('send');
    c.advance(1000);
    const next = s.decide(alert('warning', 'flap 6'));
    expect(next).toMatchObject({ action: 'send', suppressed: 5, suppressedSince: new Date(since + 100) });
    if (next.action === 'send') next.commit();
    c.advance(1000);
    expect(s.decide(alert('warning', 'flap 7'))).toMatchObject({ action: 'send', suppressed: 0 });
  });

  it('lets an escalation to a higher severity through the cooldown, but not a de-escalation', () => {
    const c = clock();
    const s = createSuppressor({ dedupeWindowMs: 0, cooldownMs: 10_000, now: c.now });
    const w = s.decide(alert('warning'));
    if (w.action === 'send') w.commit();
    c.advance(10);
    expect(s.decide(alert('info', 'resolved')).action).toBe('cooldown');
    const crit = s.decide(alert('critical'));
    expect(crit).toMatchObject({ action: 'send', suppressed: 1 });
    if (crit.action === 'send') crit.commit();
    expect(s.decide(alert('warning', 'again')).action).toBe('cooldown');
  });

  it('rolls back a failed delivery so the next alert is sent with the counts kept', () => {
    const c = clock();
    const s = createSuppressor({ dedupeWindowMs: 60_000, cooldownMs: 60_000, now: c.now });
    const first = s.decide(alert('warning'));
    expect(first.action).toBe('send');
    // While the first is in flight, a duplicate is suppressed.
    expect(s.decide(alert('warning')).action).toBe('deduplicated');
    if (first.action === 'send') first.rollback();
    const retry = s.decide(alert('warning'));
    expect(retry).toMatchObject({ action: 'send', suppressed: 1 });
  });

  it('forgets old keys beyond maxKeys', () => {
    const c = clock();
    const s = createSuppressor({ dedupeWindowMs: 100, cooldownMs: 100, now: c.now, maxKeys: 10 });
    for (let i = 0; i < 50; i++) {
      const d = s.decide(alert('info', 'm', `k${i}`));
      if (d.action === 'send') d.commit();
      c.advance(200);
    }
    expect(s.size).toBeLessThanOrEqual(10);
  });
});
