// `mlops models promote` must reach running servers at once: its write NOTIFYs the registry channel, so a process
// subscribed to the registry (a replica of deploy/server.mjs) hears it without waiting for the audit-log polling
// fallback. The subscriber here polls never (`eventPollIntervalMs: 0`), so only a NOTIFY can bring the event.
// Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { createRegistry, type Registry, type RegistryEvent } from '@mlops/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const PG = testPostgresUrl('mlops models promote notifying running servers');

describe.skipIf(!PG)('mlops models promote notifies other processes [postgres]', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = PG ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : '';
  let dir: string;
  let store: Store;
  let listener: Registry;
  const events: RegistryEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlops-cli-notify-'));
    store = await createStore(url);
    listener = await createRegistry({ store, eventPollIntervalMs: 0 });
    await listener.createModel({ name: 'churn' });
    for (const i of [1, 2]) {
      await listener.createVersion({ model: 'churn', packageDigest: `sha256:${String(i).repeat(64)}`, flavor: 'f' });
    }
    await listener.subscribe((e) => events.push(e), { model: 'churn' });
  });

  afterAll(async () => {
    await listener?.close();
    await store?.close();
    const admin = await createStore(PG!);
    try {
      await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('a promotion by the CLI reaches a subscriber that never polls the audit log', async () => {
    const r = await cli(['--store', url, 'models', 'promote', 'churn', '2', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    await expect
      .poll(() => events.filter((e) => e.alias === 'production').map((e) => [e.action, e.version]), {
        timeout: 20_000,
      })
      .toEqual([['alias.promoted', 2]]);
  }, 60_000);
});
