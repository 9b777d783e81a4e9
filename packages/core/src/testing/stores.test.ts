import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_POSTGRES_ENV, TEST_REQUIRE_POSTGRES_ENV, testBackends, testPostgresUrl } from './stores.js';

describe('testPostgresUrl and testBackends', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('give the URL and both backends when MLOPS_TEST_POSTGRES_URL is set', () => {
    vi.stubEnv(TEST_POSTGRES_ENV, 'postgres://u:p@127.0.0.1:5432/db');
    expect(testPostgresUrl('x')).toBe('postgres://u:p@127.0.0.1:5432/db');
    expect(testBackends().map((b) => b.name)).toEqual(['pglite', 'postgres']);
  });

  it('skip with a printed reason when it is unset', () => {
    vi.stubEnv(TEST_POSTGRES_ENV, '');
    vi.stubEnv(TEST_REQUIRE_POSTGRES_ENV, '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(testPostgresUrl('two processes racing')).toBeUndefined();
    expect(String(warn.mock.calls[0]![0])).toMatch(/MLOPS_TEST_POSTGRES_URL is not set: two processes racing/);
    expect(testBackends().map((b) => b.name)).toEqual(['pglite']);
  });

  it.each(['1', 'true'])('fail when it is unset under MLOPS_TEST_REQUIRE_POSTGRES=%s', (flag) => {
    vi.stubEnv(TEST_POSTGRES_ENV, '');
    vi.stubEnv(TEST_REQUIRE_POSTGRES_ENV, flag);
    expect(() => testPostgresUrl('two processes racing')).toThrow(/requires the PostgreSQL suites \(two processes/);
    expect(() => testBackends()).toThrow(/MLOPS_TEST_REQUIRE_POSTGRES=1 requires/);
  });
});
