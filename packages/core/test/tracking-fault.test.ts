import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { createTracker } from '@mlops/core/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'fixtures/tracking-writer.ts');
// Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const pgUrl = testPostgresUrl('a killed tracking writer on PostgreSQL');

function runKilledWriter(storeUrl: string, experiment: string): Promise<{ runId: string; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeUrl, experiment], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      try {
        resolve({ ...JSON.parse(out.trim().split('\n').pop() ?? '{}'), signal });
      } catch (err) {
        reject(new Error(`writer printed ${JSON.stringify(out)}: ${(err as Error).message}`));
      }
    });
  });
}

async function checkKilledRun(storeUrl: string): Promise<void> {
  const experiment = `killed-${randomBytes(4).toString('hex')}`;
  const { runId, signal } = await runKilledWriter(storeUrl, experiment);
  expect(signal).toBe('SIGKILL');
  const store = await createStore(storeUrl);
  try {
    const tracker = createTracker({ store });
    const run = await tracker.getRun(runId);
    // Nobody ended it: it stays `running`, with what was flushed before the kill and nothing half-written.
    expect(run.status).toBe('running');
    expect(run.endTime).toBeNull();
    expect(run.params).toEqual({ lr: 0.1 });
    const history = await tracker.getMetricHistory(runId, 'loss');
    expect(history.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.metrics.loss).toMatchObject({ step: 9, value: 0.1 });
    // markStaleRuns is how an operator (or a scheduled job) closes such runs.
    expect(await tracker.markStaleRuns({ experiment, olderThanMs: 60 * 60_000 })).toEqual([]);
    expect(await tracker.markStaleRuns({ experiment, olderThanMs: 0 })).toEqual([runId]);
    const closed = await tracker.getRun(runId);
    expect(closed.status).toBe('killed');
    expect(closed.endTime?.getTime()).toBe(closed.lastSeenAt.getTime());
  } finally {
    await store.close();
  }
}

describe('tracking: a writer killed without end() [pglite]', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlops-tracking-kill-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('leaves the run running with its flushed metrics, until markStaleRuns kills it', async () => {
    await checkKilledRun(`pglite://${join(dir, 'db')}`);
  }, 120_000);
});

describe.skipIf(!pgUrl)('tracking: a writer killed without end() [postgres]', () => {
  const schema = `t_kill_${randomBytes(4).toString('hex')}`;
  const storeUrl = `${pgUrl}${pgUrl?.includes('?') ? '&' : '?'}schema=${schema}`;
  afterAll(async () => {
    const admin = await createStore(pgUrl!);
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });
  it('leaves the run running with its flushed metrics, until markStaleRuns kills it', async () => {
    await checkKilledRun(storeUrl);
  }, 60_000);
});
