// The topic model's C is tuned by a study (createStudy): trials are child runs of the study's run, itself a child of
// the example's run; the best trial is the study's pick. Small synthetic tickets: no real data needed.
import { createStore, type Store } from '@mlops/core';
import { createTracker } from '@mlops/core/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { C_SPACE, tuneTopicC } from '../src/tune.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(async () => {
  await store.close();
});

const WORDS: Record<string, string[]> = {
  printer: ['printer', 'toner', 'paper', 'jam', 'print'],
  network: ['network', 'wifi', 'vpn', 'router', 'cable'],
  access: ['password', 'login', 'account', 'locked', 'reset'],
};
const SHARED = ['please', 'help', 'urgent', 'today', 'issue', 'office'];

/** `n` tickets per topic: topic words, shared words and, every `noise` tickets, two words of another topic. */
function tickets(n: number, offset: number, noise: number): { texts: string[]; labels: string[] } {
  const texts: string[] = [];
  const labels: string[] = [];
  const topics = Object.keys(WORDS);
  for (let i = 0; i < n; i++) {
    for (const [t, topic] of topics.entries()) {
      const own = WORDS[topic]!;
      const other = WORDS[topics[(t + 1) % topics.length]!]!;
      const k = i + offset;
      const words = [own[k % 5]!, SHARED[k % 6]!, SHARED[(k + 2) % 6]!];
      if (k % noise === 0) words.push(other[k % 5]!, other[(k + 2) % 5]!);
      texts.push(words.join(' '));
      labels.push(topic);
    }
  }
  return { texts, labels };
}

describe('tuneTopicC (the example tunes C through createStudy)', () => {
  it('runs the trials as child runs of the study run under the parent run, and returns the study’s best', async () => {
    const tracker = createTracker({ store, captureGit: false });
    const parent = await tracker.startRun({ experiment: 'ticket-topic', name: 'tuning' });
    const result = await tuneTopicC({
      store,
      tracker,
      parent,
      fit: tickets(30, 0, 3),
      validation: tickets(20, 100, 2),
      trials: 3,
      seed: 42,
      experiment: 'ticket-topic',
    });
    expect(result.trials.map((t) => t.number)).toEqual([0, 1, 2]);
    for (const t of result.trials) {
      expect(t.C).toBeGreaterThanOrEqual(C_SPACE.low);
      expect(t.C).toBeLessThanOrEqual(C_SPACE.high);
      expect(t.macroF1).toBeGreaterThan(0);
    }
    // The study's pick is the highest validation macro-F1 (ties: the lowest number).
    const top = Math.max(...result.trials.map((t) => t.macroF1));
    expect(result.best).toEqual(result.trials.find((t) => t.macroF1 === top));

    const runs = await Promise.all(result.trials.map((t) => tracker.getRun(t.runId)));
    const studyRunIds = new Set(runs.map((r) => r.parentRunId));
    expect(studyRunIds.size).toBe(1);
    const studyRun = await tracker.getRun([...studyRunIds][0]!);
    expect(studyRun.parentRunId).toBe(parent.id);
    expect(studyRun.tags['mlops.study']).toBe(result.study);
    expect(studyRun.tags['mlops.study.best_run']).toBe(result.best.runId);
    for (const [i, r] of runs.entries()) {
      expect(r.params.C).toBe(result.trials[i]!.C);
      expect(r.metrics.val_macro_f1?.value).toBe(result.trials[i]!.macroF1);
    }
    await parent.end();
    expect((await tracker.getRun(parent.id)).params).toMatchObject({
      best_C: result.best.C,
      best_trial: result.best.number,
    });
  }, 60_000);
});
