import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createCliContext } from '../../context.js';
import { exitCodeFor } from '../../exit-codes.js';
import { bufferSink, createOutput } from '../../output.js';
import { tuneCommand } from './handlers.js';

const OBJECTIVE = resolve(import.meta.dirname, '../../../test/fixtures/tune-objective.mjs');
const dir = mkdtempSync(join(tmpdir(), 'mlops-tune-handler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tuneCommand', () => {
  it('a stop signal claims no more trials, lets the running one see its abort, and fails with ABORTED (exit 130)', async () => {
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    // An absolute objective path is used as is; the config module exports a function returning the config.
    writeFileSync(
      join(dir, 'study.config.mjs'),
      `export default () => (${JSON.stringify({
        name: 'stopped',
        space: { x: { type: 'float', low: 0, high: 1 }, n: { type: 'int', low: 1, high: 2 } },
        objective: {
          module: OBJECTIVE,
          export: 'objective',
          workerData: { dir: marks, workers: 1, untilAborted: true },
        },
        trials: 5,
        sampler: 'random',
      })});\n`,
    );
    const ctx = createCliContext({ store: 'memory://', cwd: dir });
    const stderr = bufferSink();
    try {
      const running = tuneCommand(
        { config: './study.config.mjs', signals: ['SIGUSR2'] },
        ctx,
        createOutput({ json: true, stdout: bufferSink(), stderr }),
      );
      const settled = running.then(
        () => undefined,
        (err: unknown) => err,
      );
      while (readdirSync(marks).length === 0) await sleep(25);
      process.emit('SIGUSR2', 'SIGUSR2');
      const err = await settled;
      expect(err).toMatchObject({ code: 'ABORTED' });
      expect(exitCodeFor(err)).toBe(130);
      expect(stderr.text).toMatch(/SIGUSR2: claiming no more trials/);
      expect(process.listenerCount('SIGUSR2')).toBe(0);
      // Only the trial that was running when the signal came was claimed.
      expect(readdirSync(marks)).toHaveLength(1);
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
