import { CORE_AREAS, isMlopsError, migrate, type Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { expect, it } from 'vitest';

async function coreTables(store: Store): Promise<string[]> {
  const rows = await store.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name LIKE 'core\\_%' ORDER BY table_name`,
  );
  return rows.map((r) => r.name);
}

async function namespaces(store: Store): Promise<string[]> {
  const rows = await store.query<{ namespace: string }>(
    'SELECT DISTINCT namespace FROM core_migrations ORDER BY namespace',
  );
  return rows.map((r) => r.namespace);
}

// One store for the whole file: the tests run in order, from an empty database.
describeStores('migrate', (getStore) => {
  it('creates only the tables of the areas named', async () => {
    const store = getStore();
    expect(await coreTables(store)).toEqual([]);
    await migrate(store, { areas: ['predictions'] });
    expect(await coreTables(store)).toEqual(['core_feedback', 'core_migrations', 'core_predictions']);
    expect(await namespaces(store)).toEqual(['core.predictions']);
  });

  it('creates the tables of every area by default, under the namespaces earlier versions recorded', async () => {
    const store = getStore();
    await migrate(store);
    await migrate(store); // a second call is a no-op
    expect(await namespaces(store)).toEqual([
      'core.auth',
      'core.datasets',
      'core.objects',
      'core.predictions',
      'core.retrain-decisions',
      'core.tracking',
    ]);
    expect(await coreTables(store)).toEqual(
      expect.arrayContaining([
        'core_api_keys',
        'core_datasets',
        'core_dataset_versions',
        'core_object_refs',
        'core_predictions',
        'core_retrain_decisions',
        'core_runs',
        'core_metrics',
      ]),
    );
    expect(CORE_AREAS).toEqual(['auth', 'dataset-versions', 'objects', 'predictions', 'retrain-decisions', 'tracking']);
  });

  it('refuses an unknown area with INVALID_INPUT naming it, before migrating anything', async () => {
    const err = await migrate(getStore(), { areas: ['tracking', 'datasets' as never] }).catch((e: unknown) => e);
    expect(isMlopsError(err) && err.code).toBe('INVALID_INPUT');
    expect((err as Error).message).toMatch(/areas\.1: expected one of auth, dataset-versions/);
  });
});
