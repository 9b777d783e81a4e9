import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createStore, isMlopsError } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { describe, expect, it } from 'vitest';

// Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const url = testPostgresUrl('the PostgreSQL store across processes');
const CHILD = join(import.meta.dirname, 'fixtures/open-store.ts');

function runChild(storeUrl: string, action: string): Promise<{ ok: boolean; code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeUrl, action], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
  });
}

describe.skipIf(!url)('postgres store [postgres]', () => {
  it('applies migrations exactly once when several processes open the database at once', async () => {
    const schema = `t_race_${randomBytes(4).toString('hex')}`;
    const storeUrl = `${url}${url!.includes('?') ? '&' : '?'}schema=${schema}`;
    const results = await Promise.all([1, 2, 3, 4].map(() => runChild(storeUrl, 'migrate')));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    const store = await createStore(storeUrl);
    try {
      expect(await store.query('SELECT id FROM race_items')).toEqual([{ id: 1 }]);
      expect(
        await store.query("SELECT version FROM core_migrations WHERE namespace = 'race' ORDER BY version"),
      ).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await store.exec(`DROP SCHEMA ${schema} CASCADE`);
      await store.close();
    }
  });

  it('reports an unreachable server as a typed error without the password', async () => {
    const err = await createStore('postgres://someone:topsecret@127.0.0.1:1/none').catch((e: unknown) => e);
    expect(isMlopsError(err)).toBe(true);
    expect((err as Error).message).toContain('***');
    expect((err as Error).message).not.toContain('topsecret');
    // unreachable: the server's fault or the network's, as the CLI's exit table says (exit 1, UPSTREAM_ERROR)
    expect((err as { code?: string }).code).toBe('UPSTREAM_ERROR');
  });

  it('reports refused credentials as UNAUTHORIZED and a missing database as NOT_FOUND, without the password', async () => {
    const u = new URL(url!);
    u.password = 'not-the-password';
    const refused = await createStore(u.toString()).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('UNAUTHORIZED');
    expect((refused as Error).message).not.toContain('not-the-password');
    const missing = new URL(url!);
    missing.pathname = `/no_such_db_${randomBytes(4).toString('hex')}`;
    const notFound = await createStore(missing.toString()).catch((e: unknown) => e);
    expect((notFound as { code?: string }).code).toBe('NOT_FOUND');
    expect((notFound as Error).message).toContain('does not exist');
  });
});
